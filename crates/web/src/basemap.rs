//! The base map a municipality chooses (Administration → Settings), kept as one URL in the
//! tenant's `map_style_url`: none (the outline with the municipality's own areas and places),
//! Lantmäteriet's open topographic web map (topowebb, CC BY) with the municipality's key,
//! raster tiles the municipality serves (an OpenStreetMap tile server, a URL with `{z}`,
//! `{x}`, `{y}`), or a MapLibre style URL. The pages' CSP allows that URL's origin only.

/// Lantmäteriet's topowebb in Web Mercator, its key in place of `{key}`.
pub const LANTMATERIET: &str = "https://api.lantmateriet.se/open/topowebb-ccby/v1/wmts/token/{key}/1.0.0/topowebb/default/3857/{z}/{y}/{x}.png";

pub const KINDS: &[&str] = &["none", "lantmateriet", "tiles", "style"];

/// The choice a stored URL stands for: (kind, key, URL), for the settings form.
pub fn of_url(url: Option<&str>) -> (&'static str, String, String) {
    let Some(url) = url.filter(|u| !u.is_empty()) else {
        return ("none", String::new(), String::new());
    };
    let (head, tail) = LANTMATERIET.split_once("{key}").unwrap_or_default();
    if let Some(rest) = url.strip_prefix(head)
        && let Some(key) = rest.strip_suffix(tail)
    {
        return ("lantmateriet", key.to_string(), String::new());
    }
    if url.contains("{z}") {
        ("tiles", String::new(), url.to_string())
    } else {
        ("style", String::new(), url.to_string())
    }
}

/// An address a browser may load a base map from: https, or http on this machine (a tile
/// server beside Lägesbild); printable ASCII without quotes or angle brackets, so that nothing
/// but an address reaches a page or a header.
fn acceptable(url: &str) -> bool {
    let local = ["http://127.0.0.1", "http://localhost", "http://[::1]"]
        .iter()
        .any(|p| url.starts_with(p));
    (url.starts_with("https://") || local)
        && url.len() < 500
        && url.bytes().all(|b| (0x21..0x7f).contains(&b))
        && !url.contains(['"', '\'', '<', '>', '\\'])
}

/// The URL to store for a choice, or the message key of what is wrong (and the value).
pub fn to_url(kind: &str, key: &str, url: &str) -> Result<Option<String>, (&'static str, String)> {
    let (key, url) = (key.trim(), url.trim());
    match kind {
        "" | "none" => Ok(None),
        "lantmateriet" => {
            let ok = (8..=64).contains(&key.len())
                && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
            if ok {
                Ok(Some(LANTMATERIET.replace("{key}", key)))
            } else {
                Err(("admin-bad-map-key", key.to_string()))
            }
        }
        "tiles" if acceptable(url) && ["{z}", "{x}", "{y}"].iter().all(|p| url.contains(p)) => {
            Ok(Some(url.to_string()))
        }
        "style" if acceptable(url) && !url.contains('{') => Ok(Some(url.to_string())),
        "tiles" | "style" => Err(("admin-bad-url", url.to_string())),
        other => Err(("admin-bad-choice", other.to_string())),
    }
}

/// The raster tile template a PDF can draw the base map from (Lantmäteriet's or the
/// municipality's own tiles; a MapLibre style is for the browser only).
pub fn raster_template(url: Option<&str>) -> Option<&str> {
    let kind = of_url(url).0;
    matches!(kind, "lantmateriet" | "tiles").then_some(url?)
}

/// The credit a printed base map carries.
pub fn attribution(url: &str, lang: crate::i18n::Lang) -> String {
    let sv = lang == crate::i18n::Lang::Sv;
    if of_url(Some(url)).0 == "lantmateriet" {
        "© Lantmäteriet (CC BY 4.0)".to_string()
    } else {
        let host = url
            .split("://")
            .nth(1)
            .and_then(|r| r.split('/').next())
            .unwrap_or(url);
        if sv {
            format!("Bakgrundskarta: {host}")
        } else {
            format!("Base map: {host}")
        }
    }
}

/// At most this many tiles are fetched for one map; each at most `TILE_BYTES`, within
/// `TILE_SECONDS`.
const MAX_TILES: usize = 30;
const TILE_BYTES: u64 = 1_000_000;
const TILE_SECONDS: u64 = 5;

/// The tiles of `template` that cover `frame` (SWEREF 99 TM `[e0, n0, e1, n1]`), at the
/// finest zoom that needs at most `MAX_TILES`, placed in map metres from `origin` (the map's
/// south-west corner). Blocking: call it off the async threads. A tile that does not come
/// (an error, a timeout, not PNG or JPEG, too big) makes the whole base map fail with its
/// address named, so a PDF never shows half a map.
pub fn fetch_tiles(
    template: &str,
    frame: [f64; 4],
    origin: (f64, f64),
) -> Result<Vec<chart::MapTile>, String> {
    use base64::Engine as _;
    let corners = [
        (frame[0], frame[1]),
        (frame[2], frame[1]),
        (frame[0], frame[3]),
        (frame[2], frame[3]),
    ]
    .map(|(e, n)| geo::from_sweref99tm(geo::Sweref99Tm { e, n }));
    let (w, e) = corners
        .iter()
        .fold((f64::MAX, f64::MIN), |(a, b), c| (a.min(c.0), b.max(c.0)));
    let (s, n) = corners
        .iter()
        .fold((f64::MAX, f64::MIN), |(a, b), c| (a.min(c.1), b.max(c.1)));
    let range = |z: u8| {
        let (x0, y0) = geo::tile::slippy(w, n, z);
        let (x1, y1) = geo::tile::slippy(e, s, z);
        (x0 as u32, y0 as u32, x1 as u32, y1 as u32)
    };
    let z = (1..=18u8)
        .rev()
        .find(|&z| {
            let (x0, y0, x1, y1) = range(z);
            ((x1 - x0 + 1) * (y1 - y0 + 1)) as usize <= MAX_TILES
        })
        .unwrap_or(1);
    let (x0, y0, x1, y1) = range(z);
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(std::time::Duration::from_secs(TILE_SECONDS)))
        .build()
        .into();
    let at = |x: u32, y: u32| {
        let (lon, lat) = geo::tile::slippy_corner(z, f64::from(x), f64::from(y));
        let p = geo::to_sweref99tm(lon, lat);
        [p.e - origin.0, p.n - origin.1]
    };
    let mut tiles = Vec::new();
    for y in y0..=y1 {
        for x in x0..=x1 {
            let url = template
                .replace("{z}", &z.to_string())
                .replace("{x}", &x.to_string())
                .replace("{y}", &y.to_string());
            let bytes = agent
                .get(&url)
                .call()
                .and_then(|mut r| r.body_mut().with_config().limit(TILE_BYTES).read_to_vec())
                .map_err(|e| format!("{url}: {e}"))?;
            let mime = if bytes.starts_with(b"\x89PNG") {
                "image/png"
            } else if bytes.starts_with(&[0xFF, 0xD8]) {
                "image/jpeg"
            } else {
                return Err(format!("{url}: not a PNG or JPEG image"));
            };
            tiles.push(chart::MapTile {
                href: format!(
                    "data:{mime};base64,{}",
                    base64::engine::general_purpose::STANDARD.encode(&bytes)
                ),
                nw: at(x, y),
                ne: at(x + 1, y),
                sw: at(x, y + 1),
            });
        }
    }
    Ok(tiles)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choices_round_trip_through_the_stored_url() {
        let lm = to_url("lantmateriet", "abc12345-6789", "")
            .unwrap()
            .unwrap();
        assert!(lm.starts_with("https://api.lantmateriet.se/") && lm.contains("/abc12345-6789/"));
        assert_eq!(
            of_url(Some(&lm)),
            ("lantmateriet", "abc12345-6789".into(), String::new())
        );
        let tiles = "https://karta.kungsor.se/osm/{z}/{x}/{y}.png";
        assert_eq!(to_url("tiles", "", tiles).unwrap().as_deref(), Some(tiles));
        assert_eq!(of_url(Some(tiles)).0, "tiles");
        let style = "https://karta.kungsor.se/style.json";
        assert_eq!(
            of_url(Some(&to_url("style", "", style).unwrap().unwrap())).0,
            "style"
        );
        assert_eq!(to_url("none", "x", "y").unwrap(), None);
        assert_eq!(of_url(None).0, "none");
        // A tile server on this machine, for a municipality that serves its own.
        assert!(to_url("tiles", "", "http://127.0.0.1:8081/{z}/{x}/{y}.png").is_ok());
        for (kind, key, url) in [
            ("lantmateriet", "kort", ""),
            ("lantmateriet", "nyckel med mellanslag", ""),
            ("tiles", "", "https://karta.se/tiles.png"),
            ("tiles", "", "http://karta.se/{z}/{x}/{y}.png"),
            ("style", "", "https://karta.se/\"><script>"),
            ("style", "", "javascript:alert(1)"),
            ("annan", "", ""),
        ] {
            assert!(to_url(kind, key, url).is_err(), "{kind} {key} {url}");
        }
    }
}
