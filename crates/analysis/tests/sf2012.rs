//! Hot spot methods scored on real data (San Francisco 2012, shared/data/sf-2012): flag cells
//! from July–September, score them on October–December, 150 m cells, flagging the same share
//! of the cells with any incident as Gi* 99 % FDR hot cells do (3.6 %).

use analysis::{
    ForecastParams, Grid, Weights, gi_star, pai_pei, prospective, quartic_kde, top_share,
};

struct Sf {
    x: Vec<f64>,
    y: Vec<f64>,
    t: Vec<f64>,
}

fn sf() -> Sf {
    let path = &std::env::var("LAGESBILD_SHARED")
        .map(|d| format!("{d}/data/sf-2012/incidents.csv"))
        .unwrap_or_else(|_| {
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../../shared/data/sf-2012/incidents.csv"
            )
            .to_string()
        });
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut rdr = text.lines();
    assert_eq!(
        rdr.next().unwrap(),
        "id,category,description,date,x,y,lon,lat,district"
    );
    let mut sf = Sf {
        x: vec![],
        y: vec![],
        t: vec![],
    };
    for line in rdr {
        // The description may hold commas inside quotes: x, y and date are read from the end
        // (…,date,x,y,lon,lat,district).
        let parts: Vec<&str> = line.rsplitn(7, ',').collect();
        let (y, x, date) = (parts[3], parts[4], parts[5]);
        let d: jiff::civil::Date = date.parse().unwrap();
        sf.x.push(x.parse().unwrap());
        sf.y.push(y.parse().unwrap());
        sf.t.push(d.since(jiff::civil::date(2012, 1, 1)).unwrap().get_days() as f64);
    }
    sf
}

#[test]
fn prospective_forecast_beats_the_textbook_methods() {
    let sf = sf();
    assert_eq!(sf.x.len(), 13_472);
    let until = jiff::civil::date(2012, 10, 1)
        .since(jiff::civil::date(2012, 1, 1))
        .unwrap()
        .get_days() as f64;
    let before: Vec<usize> = (0..sf.x.len()).filter(|&i| sf.t[i] < until).collect();
    let after: Vec<usize> = (0..sf.x.len()).filter(|&i| sf.t[i] >= until).collect();
    let pick = |idx: &[usize], v: &[f64]| idx.iter().map(|&i| v[i]).collect::<Vec<f64>>();
    let (bx, by) = (pick(&before, &sf.x), pick(&before, &sf.y));
    let (ax, ay) = (pick(&after, &sf.x), pick(&after, &sf.y));
    // One grid over all points, so before and after share cells.
    let all = Grid::bin(&sf.x, &sf.y, 150.0, None).unwrap();
    let extent = [
        all.x0,
        all.y0,
        all.x0 + all.nx as f64 * 150.0 - 1e-6,
        all.y0 + all.ny as f64 * 150.0 - 1e-6,
    ];
    let gb = Grid::bin(&bx, &by, 150.0, Some(extent)).unwrap();
    let ga = Grid::bin(&ax, &ay, 150.0, Some(extent)).unwrap();
    let area = gb.counts.iter().filter(|c| **c > 0.0).count();
    let share = 0.036;
    let score = |s: &[f64]| pai_pei(&ga.counts, &top_share(s, &gb.counts, share), area);

    let counts = score(&gb.counts);
    let gi = score(&gi_star(&gb, Weights::Queen).unwrap().z);
    let kde = score(&quartic_kde(&bx, &by, &gb, 300.0).unwrap());
    let fc = score(&prospective(
        &sf.x,
        &sf.y,
        &sf.t,
        &gb,
        until,
        ForecastParams::default(),
    ));
    println!(
        "PEI: counts {:.3}, Gi* {:.3}, KDE {:.3}, prospective {:.3}",
        counts.pei, gi.pei, kde.pei, fc.pei
    );
    println!(
        "PAI: counts {:.2}, Gi* {:.2}, KDE {:.2}, prospective {:.2}",
        counts.pai, gi.pai, kde.pai, fc.pai
    );
    assert!(
        counts.pei > 0.8 && counts.pei < 0.95,
        "plain counts {counts:?}"
    );
    assert!(
        fc.pei >= counts.pei,
        "the forecast must not be worse than plain counts: {fc:?} vs {counts:?}"
    );
}
