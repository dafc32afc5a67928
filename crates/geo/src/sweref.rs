//! Gauss–Krüger projection as published by Lantmäteriet ("Gauss conformal projection
//! (Transverse Mercator), Krügers formulas"), with the SWEREF 99 TM parameters: GRS 80
//! ellipsoid, central meridian 15° E, scale 0.9996, false easting 500 000 m.

/// A point in SWEREF 99 TM metres: `e` easting, `n` northing.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sweref99Tm {
    pub e: f64,
    pub n: f64,
}

const A: f64 = 6_378_137.0;
const F: f64 = 1.0 / 298.257_222_101;
const LON0_DEG: f64 = 15.0;
const K0: f64 = 0.9996;
const FALSE_N: f64 = 0.0;
const FALSE_E: f64 = 500_000.0;

struct Consts {
    a_roof: f64,
    e2: f64,
    n: f64,
}

fn consts() -> Consts {
    let e2 = F * (2.0 - F);
    let n = F / (2.0 - F);
    let a_roof = A / (1.0 + n) * (1.0 + n * n / 4.0 + n.powi(4) / 64.0);
    Consts { a_roof, e2, n }
}

/// Projects WGS84 longitude/latitude (degrees) to SWEREF 99 TM.
pub fn to_sweref99tm(lon: f64, lat: f64) -> Sweref99Tm {
    let Consts { a_roof, e2, n } = consts();
    let a = e2;
    let b = (5.0 * e2 * e2 - e2.powi(3)) / 6.0;
    let c = (104.0 * e2.powi(3) - 45.0 * e2.powi(4)) / 120.0;
    let d = (1237.0 * e2.powi(4)) / 1260.0;
    let b1 = n / 2.0 - 2.0 * n * n / 3.0 + 5.0 * n.powi(3) / 16.0 + 41.0 * n.powi(4) / 180.0;
    let b2 = 13.0 * n * n / 48.0 - 3.0 * n.powi(3) / 5.0 + 557.0 * n.powi(4) / 1440.0;
    let b3 = 61.0 * n.powi(3) / 240.0 - 103.0 * n.powi(4) / 140.0;
    let b4 = 49561.0 * n.powi(4) / 161_280.0;

    let phi = lat.to_radians();
    let dlambda = (lon - LON0_DEG).to_radians();
    let s = phi.sin();
    let s2 = s * s;
    let phi_star = phi - s * phi.cos() * (a + b * s2 + c * s2 * s2 + d * s2 * s2 * s2);
    let xi = (phi_star.tan() / dlambda.cos()).atan();
    let eta = (phi_star.cos() * dlambda.sin()).atanh();

    let x = K0
        * a_roof
        * (xi
            + b1 * (2.0 * xi).sin() * (2.0 * eta).cosh()
            + b2 * (4.0 * xi).sin() * (4.0 * eta).cosh()
            + b3 * (6.0 * xi).sin() * (6.0 * eta).cosh()
            + b4 * (8.0 * xi).sin() * (8.0 * eta).cosh())
        + FALSE_N;
    let y = K0
        * a_roof
        * (eta
            + b1 * (2.0 * xi).cos() * (2.0 * eta).sinh()
            + b2 * (4.0 * xi).cos() * (4.0 * eta).sinh()
            + b3 * (6.0 * xi).cos() * (6.0 * eta).sinh()
            + b4 * (8.0 * xi).cos() * (8.0 * eta).sinh())
        + FALSE_E;
    Sweref99Tm { e: y, n: x }
}

/// Inverse of [`to_sweref99tm`]: returns (longitude, latitude) in degrees.
pub fn from_sweref99tm(p: Sweref99Tm) -> (f64, f64) {
    let Consts { a_roof, e2, n } = consts();
    let d1 = n / 2.0 - 2.0 * n * n / 3.0 + 37.0 * n.powi(3) / 96.0 - n.powi(4) / 360.0;
    let d2 = n * n / 48.0 + n.powi(3) / 15.0 - 437.0 * n.powi(4) / 1440.0;
    let d3 = 17.0 * n.powi(3) / 480.0 - 37.0 * n.powi(4) / 840.0;
    let d4 = 4397.0 * n.powi(4) / 161_280.0;
    let a_s = e2 + e2 * e2 + e2.powi(3) + e2.powi(4);
    let b_s = -(7.0 * e2 * e2 + 17.0 * e2.powi(3) + 30.0 * e2.powi(4)) / 6.0;
    let c_s = (224.0 * e2.powi(3) + 889.0 * e2.powi(4)) / 120.0;
    let d_s = -(4279.0 * e2.powi(4)) / 1260.0;

    let xi = (p.n - FALSE_N) / (K0 * a_roof);
    let eta = (p.e - FALSE_E) / (K0 * a_roof);
    let xi_p = xi
        - d1 * (2.0 * xi).sin() * (2.0 * eta).cosh()
        - d2 * (4.0 * xi).sin() * (4.0 * eta).cosh()
        - d3 * (6.0 * xi).sin() * (6.0 * eta).cosh()
        - d4 * (8.0 * xi).sin() * (8.0 * eta).cosh();
    let eta_p = eta
        - d1 * (2.0 * xi).cos() * (2.0 * eta).sinh()
        - d2 * (4.0 * xi).cos() * (4.0 * eta).sinh()
        - d3 * (6.0 * xi).cos() * (6.0 * eta).sinh()
        - d4 * (8.0 * xi).cos() * (8.0 * eta).sinh();
    let phi_star = (xi_p.sin() / eta_p.cosh()).asin();
    let dlambda = (eta_p.sinh() / xi_p.cos()).atan();
    let s = phi_star.sin();
    let s2 = s * s;
    let phi = phi_star + s * phi_star.cos() * (a_s + b_s * s2 + c_s * s2 * s2 + d_s * s2 * s2 * s2);
    (LON0_DEG + dlambda.to_degrees(), phi.to_degrees())
}

/// The closed WGS84 ring (lon, lat; counter-clockwise, RFC 7946) of the square of side `side`
/// metres whose lower-left SWEREF 99 TM corner is (`e`, `n`): how grid cells are drawn.
pub fn square_ring(e: f64, n: f64, side: f64) -> [[f64; 2]; 5] {
    [
        (e, n),
        (e + side, n),
        (e + side, n + side),
        (e, n + side),
        (e, n),
    ]
    .map(|(e, n)| {
        let (lon, lat) = from_sweref99tm(Sweref99Tm { e, n });
        [lon, lat]
    })
}

#[cfg(test)]
#[allow(clippy::unreadable_literal)]
mod tests {
    use super::*;

    /// Reference values from PROJ 9 through pyproj
    /// (`Transformer.from_crs(4326, 3006, always_xy=True)`), 0.1 mm printed.
    const REFERENCE: &[(&str, f64, f64, f64, f64)] = &[
        ("Stockholm", 18.0686, 59.3293, 674571.8664, 6580743.0083),
        ("Kungsör", 16.0978, 59.4224, 562295.1070, 6587601.8667),
        ("Malmö", 13.0038, 55.605, 374243.7585, 6163926.5534),
        ("Kiruna", 20.2253, 67.8558, 719583.1230, 7536069.9699),
        ("Haparanda", 24.1365, 65.8355, 916164.3166, 7331934.2064),
        ("Strömstad", 11.171, 58.939, 279702.8625, 6539568.9087),
        ("central meridian, equator", 15.0, 0.0, 500_000.0, 0.0),
    ];

    #[test]
    fn matches_proj_to_a_millimetre() {
        for &(name, lon, lat, e, n) in REFERENCE {
            let p = to_sweref99tm(lon, lat);
            assert!((p.e - e).abs() < 0.001, "{name}: E {} vs {e}", p.e);
            assert!((p.n - n).abs() < 0.001, "{name}: N {} vs {n}", p.n);
        }
    }

    #[test]
    fn on_the_central_meridian_easting_is_false_easting() {
        for lat in [55.0, 59.4, 68.0] {
            assert!((to_sweref99tm(15.0, lat).e - 500_000.0).abs() < 1e-6);
        }
    }

    #[test]
    fn round_trip_across_sweden_is_sub_millimetre() {
        // Kungsör, Malmö, Göteborg, Kiruna, Haparanda, Strömstad.
        for (lon, lat) in [
            (16.0978, 59.4224),
            (13.0038, 55.6050),
            (11.9746, 57.7089),
            (20.2253, 67.8558),
            (24.1365, 65.8355),
            (11.1710, 58.9390),
        ] {
            let p = to_sweref99tm(lon, lat);
            let (lon2, lat2) = from_sweref99tm(p);
            let back = to_sweref99tm(lon2, lat2);
            assert!((back.e - p.e).abs() < 1e-4 && (back.n - p.n).abs() < 1e-4);
            assert!(
                (lon2 - lon).abs() < 1e-9 && (lat2 - lat).abs() < 1e-9,
                "{lon},{lat}"
            );
        }
    }

    #[test]
    fn squares_are_closed_and_counter_clockwise() {
        let r = square_ring(562_200.0, 6_587_500.0, 100.0);
        assert_eq!(r[0], r[4]);
        let area: f64 = r
            .windows(2)
            .map(|w| w[0][0] * w[1][1] - w[1][0] * w[0][1])
            .sum();
        assert!(area > 0.0);
        let back = to_sweref99tm(r[2][0], r[2][1]);
        assert!((back.e - 562_300.0).abs() < 1e-3 && (back.n - 6_587_600.0).abs() < 1e-3);
    }

    #[test]
    fn distances_are_metric() {
        // One arc-minute of latitude is about 1 855 m at 59° N (on the ellipsoid, times 0.9996
        // scale and a small east-west distortion).
        let a = to_sweref99tm(16.1, 59.40);
        let b = to_sweref99tm(16.1, 59.40 + 1.0 / 60.0);
        let d = ((a.e - b.e).powi(2) + (a.n - b.n).powi(2)).sqrt();
        assert!((1850.0..1860.0).contains(&d), "{d}");
    }
}
