//! Chooses the forecast parameters honestly: fit on July–August → September (validation),
//! then report July–September → October–December (test) with the chosen ones.
//! `cargo run --release -p analysis --example tune_forecast`

use analysis::{ForecastParams, Grid, pai_pei, prospective, top_share};

fn main() {
    let path = &std::env::var("LAGESBILD_SHARED")
        .map(|d| format!("{d}/data/sf-2012/incidents.csv"))
        .unwrap_or_else(|_| {
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../../shared/data/sf-2012/incidents.csv"
            )
            .to_string()
        });
    let text = std::fs::read_to_string(path).expect("sf-2012 data");
    let (mut x, mut y, mut t) = (vec![], vec![], vec![]);
    for line in text.lines().skip(1) {
        let p: Vec<&str> = line.rsplitn(7, ',').collect();
        let d: jiff::civil::Date = p[5].parse().unwrap();
        x.push(p[4].parse::<f64>().unwrap());
        y.push(p[3].parse::<f64>().unwrap());
        t.push(d.since(jiff::civil::date(2012, 1, 1)).unwrap().get_days() as f64);
    }
    let day = |m: i8| {
        jiff::civil::date(2012, m, 1)
            .since(jiff::civil::date(2012, 1, 1))
            .unwrap()
            .get_days() as f64
    };
    let all = Grid::bin(&x, &y, 150.0, None).unwrap();
    let extent = [
        all.x0,
        all.y0,
        all.x0 + all.nx as f64 * 150.0 - 1e-6,
        all.y0 + all.ny as f64 * 150.0 - 1e-6,
    ];
    let split = |from: f64, until: f64, to: f64, p: ForecastParams| {
        let sel = |a: f64, b: f64| -> (Vec<f64>, Vec<f64>) {
            (0..x.len())
                .filter(|&i| t[i] >= a && t[i] < b)
                .map(|i| (x[i], y[i]))
                .unzip()
        };
        let (bx, by) = sel(from, until);
        let (ax, ay) = sel(until, to);
        let gb = Grid::bin(&bx, &by, 150.0, Some(extent)).unwrap();
        let ga = Grid::bin(&ax, &ay, 150.0, Some(extent)).unwrap();
        let area = gb.counts.iter().filter(|c| **c > 0.0).count();
        let idx: Vec<usize> = (0..x.len()).filter(|&i| t[i] >= from).collect();
        let (fx, fy, ft): (Vec<f64>, Vec<f64>, Vec<f64>) = (
            idx.iter().map(|&i| x[i]).collect(),
            idx.iter().map(|&i| y[i]).collect(),
            idx.iter().map(|&i| t[i]).collect(),
        );
        let risk = prospective(&fx, &fy, &ft, &gb, until, p);
        pai_pei(&ga.counts, &top_share(&risk, &gb.counts, 0.036), area).pei
    };
    let mut best = (0.0, ForecastParams::default());
    for hl in [7.0, 14.0, 30.0, 60.0, 120.0, 1e9] {
        for bw in [75.0, 150.0, 225.0, 300.0, 450.0] {
            for lr in [0.0, 0.05, 0.2, 1.0, 5.0] {
                let p = ForecastParams {
                    half_life_days: hl,
                    bandwidth: bw,
                    long_run: lr,
                };
                let v = split(day(7), day(9), day(10), p);
                if v > best.0 {
                    best = (v, p);
                }
            }
        }
    }
    println!(
        "validation (Jul-Aug -> Sep): best PEI {:.3} with {:?}",
        best.0, best.1
    );
    println!(
        "test (Jul-Sep -> Oct-Dec) with those: PEI {:.3}",
        split(day(7), day(10), day(12) + 31.0, best.1)
    );
    println!(
        "test with the defaults: PEI {:.3}",
        split(day(7), day(10), day(12) + 31.0, ForecastParams::default())
    );
}
