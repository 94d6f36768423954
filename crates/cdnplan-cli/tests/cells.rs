//! Where the GeoIP database cannot say what the cells need, cdnplan says so instead of
//! guessing: city cells from a country database, IPv6 clients against an IPv4-only one.

use crate::util::{gzip_lines, snapshot_lines};

clitest!(
    city_cells_with_the_country_database_are_refused_with_the_fix,
    |dir, cmd| {
        dir.create("five.ndjson.gz", gzip_lines(&snapshot_lines(5)));
        let run = cmd
            .args(["demand", "five.ndjson.gz", "--cells", "city"])
            .fails();
        contains!(
            run.error(),
            "cells = \"city\" needs a city-level GeoIP database"
        );
        contains!(run.error(), "DBIP-Country-Lite");
        contains!(run.error(), "give a MaxMind-format city database");
    }
);

// Issue 15 row 21, the geotile half: with a country-level database, geotile cells would tile
// the countries' points; every such request is counted and the warning names the fix.
clitest!(
    geotile_cells_on_the_country_database_warn_of_country_points,
    |dir, cmd| {
        dir.create("five.ndjson.gz", gzip_lines(&snapshot_lines(5)));
        let run = cmd
            .args(["demand", "five.ndjson.gz", "--cells", "geotile:6"])
            .ok();
        contains!(
            run.stderr,
            "cdnplan: warning: 5 requests of 5 located had no coordinates and stand at their \
             country's point",
            "geotile and city cells need a city database, which scripts/city-db.sh installs"
        );
        // Country cells are meant to stand at the country's point: no warning.
        let run = dir.command().args(["demand", "five.ndjson.gz"]).ok();
        assert!(!run.stderr.contains("country's point"), "{run}");
    }
);

clitest!(
    ipv6_clients_on_an_ipv4_database_are_reported_as_such,
    |dir, cmd| {
        let mut lines = snapshot_lines(5);
        let first_ip = |l: &str| {
            let i = l.find("\"x-forwarded-for\":\"").unwrap() + 19;
            let j = i + l[i..].find('"').unwrap();
            l[i..j].to_string()
        };
        let ip = first_ip(&lines[1]);
        lines[1] = lines[1].replace(&ip, "2001:4860:4860::8888");
        // An IPv4-mapped IPv6 address is its IPv4 client, located as such.
        let ip3 = first_ip(&lines[3]);
        lines[3] = lines[3].replace(&ip3, &format!("::ffff:{ip3}"));
        dir.create("v6.ndjson.gz", gzip_lines(&lines));
        let run = cmd.args(["demand", "v6.ndjson.gz"]).ok();
        contains!(
            run.stderr,
            "IPv6 address, but the GeoIP database holds IPv4 networks only: 1"
        );
        contains!(run.stdout, "4 requests");
    }
);

/// DB-IP's IP to City Lite, installed by `scripts/city-db.sh` (the test command's set-up).
fn city_db(version: &str) -> std::path::PathBuf {
    let p = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join(format!("../../.cache/geoip/dbip-city-{version}.mmdb"));
    assert!(
        p.exists(),
        "{} is missing: run scripts/city-db.sh (or scripts/test-deps.sh) first",
        p.display()
    );
    p
}

clitest!(city_cells_through_a_real_city_database, |dir, cmd| {
    cmd.clone()
        .arg("demand")
        .arg(crate::util::data("snapshots/argus-2023-06.ndjson.gz"))
        .arg("--geoip")
        .arg(city_db("ipv4"))
        .args(["--cells", "city", "-o", "city.csv"])
        .ok();
    let csv = dir.read("city.csv");
    let rows: Vec<&str> = csv.lines().skip(1).collect();
    assert!(rows.len() > 2000, "{} city cells", rows.len());
    // Every counted request has a city.
    let requests: u64 = rows
        .iter()
        .map(|r| r.rsplit(',').nth(2).unwrap().parse::<u64>().unwrap())
        .sum();
    assert_eq!(requests, 55227);
    // Cities with their own coordinates, not the country's point.
    contains!(
        csv,
        "BR/Sao Jose do Rio Preto,BR,SA,-21.2922,-50.3428,395,",
        "\nRU/Penza,RU,EU,"
    );
    assert!(!csv.contains("/?,"), "a client without a city");

    // An IPv6 client through the IPv6 database lands in a city too.
    let mut line = crate::util::snapshot_lines(1).remove(0);
    let i = line.find("\"x-forwarded-for\":\"").unwrap() + 19;
    let j = i + line[i..].find('"').unwrap();
    line.replace_range(i..j, "2a00:1450:4001:80b::200e");
    dir.create("v6.ndjson.gz", crate::util::gzip_lines(&[line]));
    cmd.clone()
        .args(["demand", "v6.ndjson.gz", "--geoip"])
        .arg(city_db("ipv6"))
        .args(["--cells", "city", "-o", "v6.csv"])
        .ok();
    let v6 = dir.read("v6.csv");
    let cell = v6.lines().nth(1).unwrap_or_default();
    assert!(!cell.is_empty() && !cell.contains("/?,"), "{v6}");
});
