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
