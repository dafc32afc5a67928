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
