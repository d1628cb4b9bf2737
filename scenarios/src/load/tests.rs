//! Loader tests against the toy schema: exact messages and positions, `--set`, and never
//! panicking on arbitrary input.

use super::toy::{Mode, Scenario, Workload};
use super::*;
use proptest::prelude::*;
use sim::SimDuration;

/// A complete scenario; line numbers matter to the tests below.
const BASE: &str = r#"name = "baseline"

[run]
seed = 7
length = "30s"

[link]
distance_km = 300
bandwidth_mbps = 44.736
overhead = 0.05
paths = 2

[copy]
mode = "xrc"
batch_timer = "5ms"

[[copy.pairs]]
primary = "VOL001"
secondary = "SEC001"

[[copy.pairs]]
primary = "VOL002"
secondary = "SEC002"

[[volumes]]
volser = "VOL001"
cylinders = 3339

[[volumes]]
volser = "VOL002"
cylinders = 3339

[[volumes]]
volser = "SEC001"
cylinders = 3339

[[volumes]]
volser = "SEC002"
cylinders = 3339

[[hosts]]
name = "SYSA"
workload = { kind = "poisson", rate = 400.0, size = { kind = "constant", value = 4096 } }

[[hosts]]
name = "SYSB"
[hosts.workload]
kind = "burst"
rate = 2000
on = "200ms"
off = "1.8s"

[disaster]
at = "20s"
"#;

fn src(text: &str) -> Source {
    Source::new("baseline.toml", text)
}

fn sets(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}

/// Loads `text` with overrides and returns the error message.
fn err_with(text: &str, args: &[&str]) -> String {
    match load::<Scenario>(&src(text), &sets(args)) {
        Ok(_) => panic!("expected an error for {args:?}"),
        Err(e) => e.to_string(),
    }
}

fn err(text: &str) -> String {
    err_with(text, &[])
}

/// `BASE` with the first occurrence of `from` replaced by `to` (which must exist).
fn edit(from: &str, to: &str) -> String {
    assert!(BASE.contains(from), "{from:?} not in BASE");
    BASE.replacen(from, to, 1)
}

fn ok_with(args: &[&str]) -> Loaded<Scenario> {
    load::<Scenario>(&src(BASE), &sets(args)).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn baseline_loads_with_defaults() {
    let l = ok_with(&[]);
    let s = &l.value;
    assert_eq!(s.name, "baseline");
    assert_eq!(s.run.seed, 7);
    assert_eq!(s.run.length, SimDuration::from_secs(30));
    assert_eq!(s.run.rpo_sample, SimDuration::from_millis(100));
    assert_eq!(s.link.distance_km, 300.0);
    assert_eq!(s.link.paths, 2);
    assert!(s.link.outages.is_empty());
    assert_eq!(s.copy.mode, Mode::Xrc);
    assert_eq!(s.copy.batch_bytes, 1 << 20);
    assert_eq!(s.copy.batch_timer, SimDuration::from_millis(5));
    assert_eq!(s.copy.pairs.len(), 2);
    assert_eq!(s.volumes.len(), 4);
    assert_eq!(s.hosts.len(), 2);
    match &s.hosts[1].workload {
        Workload::Burst { rate, on, off } => {
            assert_eq!(*rate, 2000.0);
            assert_eq!(*on, SimDuration::from_millis(200));
            assert_eq!(*off, SimDuration::from_millis(1800));
        }
        w => panic!("{w:?}"),
    }
    assert_eq!(
        s.disaster.as_ref().map(|d| d.at),
        Some(SimDuration::from_secs(20))
    );
    assert!(s.validate(&l.doc).is_ok());
    assert!(l.warnings().is_empty());
}

// ---- errors in the file: exact messages and positions ----

#[test]
fn misspelt_key_names_line_column_table_suggestion_and_allowed_keys() {
    assert_eq!(
        err(&edit("overhead = 0.05", "bandwith_mbps = 1")),
        "baseline.toml:10:1: unknown key `bandwith_mbps` in [link]; did you mean `bandwidth_mbps`? \
         allowed keys: distance_km, bandwidth_mbps, overhead, paths, outages"
    );
    // Indented key: the column follows it.
    assert_eq!(
        err(&edit("paths = 2", "   pahts = 2")),
        "baseline.toml:11:4: unknown key `pahts` in [link]; did you mean `paths`? \
         allowed keys: distance_km, bandwidth_mbps, overhead, paths, outages"
    );
    // Nothing close: no suggestion, still the allowed keys.
    assert_eq!(
        err(&edit("paths = 2", "colour = 2")),
        "baseline.toml:11:1: unknown key `colour` in [link]; \
         allowed keys: distance_km, bandwidth_mbps, overhead, paths, outages"
    );
}

#[test]
fn unknown_table_header_points_at_its_name() {
    assert_eq!(
        err(&edit("[run]", "[runn]")),
        "baseline.toml:3:2: unknown key `runn` in the top-level table; did you mean `run`? \
         allowed keys: name, run, link, copy, volumes, hosts, disaster"
    );
}

#[test]
fn unknown_key_in_array_of_tables_names_the_element() {
    let e = load::<Scenario>(&src(&edit("cylinders = 3339", "cyls = 3339")), &[]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "baseline.toml:27:1: unknown key `cyls` in [volumes[0]]; allowed keys: volser, cylinders"
    );
    assert_eq!((e.line(), e.col()), (Some(27), Some(1)));
    assert_eq!(e.path, "volumes[0].cyls");
}

#[test]
fn unknown_variant_points_at_the_value() {
    let e = load::<Scenario>(&src(&edit("mode = \"xrc\"", "mode = \"xrcc\"")), &[]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "baseline.toml:14:8: copy.mode: unknown variant `xrcc`, did you mean `xrc`? \
         allowed: xrc, xrc-prt, sync, naive, pit"
    );
    assert_eq!(e.path, "copy.mode");
    match &e.kind {
        ErrorKind::UnknownVariant {
            value, suggestion, ..
        } => {
            assert_eq!(value, "xrcc");
            assert_eq!(suggestion.as_deref(), Some("xrc"));
        }
        k => panic!("{k:?}"),
    }
    assert_eq!(
        err(&edit("mode = \"xrc\"", "mode = \"mirror\"")),
        "baseline.toml:14:8: copy.mode: unknown variant `mirror`; allowed: xrc, xrc-prt, sync, naive, pit"
    );
}

#[test]
fn bad_duration_names_the_key_and_the_units() {
    assert_eq!(
        err(&edit("length = \"30s\"", "length = \"30 days\"")),
        "baseline.toml:5:10: run.length: duration `30 days` has unknown unit `days`: \
         allowed units are ns, us, ms, s, min, h"
    );
    assert_eq!(
        err(&edit("length = \"30s\"", "length = \"30\"")),
        "baseline.toml:5:10: run.length: duration `30` has no unit: add one of ns, us, ms, s, min, h (e.g. `30s`)"
    );
}

#[test]
fn wrong_types_say_what_is_expected_and_what_was_found() {
    assert_eq!(
        err(&edit("distance_km = 300", "distance_km = \"300\"")),
        "baseline.toml:8:15: expected a number for link.distance_km, got `\"300\"`"
    );
    assert_eq!(
        err(&edit("seed = 7", "seed = -7")),
        "baseline.toml:4:8: expected an integer from 0 to 18446744073709551615 for run.seed, got `-7`"
    );
    assert_eq!(
        err(&edit("paths = 2", "paths = 300")),
        "baseline.toml:11:9: expected an integer from 0 to 255 for link.paths, got `300`"
    );
    assert_eq!(
        err(&edit("paths = 2", "paths = 2.0")),
        "baseline.toml:11:9: expected a non-negative integer for link.paths, got `2.0`"
    );
    assert_eq!(
        err(&edit("mode = \"xrc\"", "mode = 5")),
        "baseline.toml:14:8: expected one of xrc, xrc-prt, sync, naive, pit for copy.mode, got `5`"
    );
    assert_eq!(
        err(&edit("name = \"baseline\"", "name = true")),
        "baseline.toml:1:8: expected a string for name, got `true`"
    );
    assert_eq!(
        err(&edit("paths = 2", "outages = 5")),
        "baseline.toml:11:11: expected an array for link.outages, got `5`"
    );
    assert_eq!(
        err(&edit("[disaster]\nat = \"20s\"\n", "").replacen("\n", "\ndisaster = [1, 2]\n", 1)),
        "baseline.toml:2:12: expected a table for disaster, got an array"
    );
    // Integers beyond 64 bits are still reported with their value.
    assert_eq!(
        err(&edit("seed = 7", "seed = 99999999999999999999")),
        "baseline.toml:4:8: expected an integer from 0 to 18446744073709551615 for run.seed, \
         got `99999999999999999999`"
    );
    // A duration given as a float.
    assert_eq!(
        err(&edit("on = \"200ms\"", "on = 0.2")),
        "baseline.toml:50:6: expected a duration such as \"30s\", \"1500ms\", \"2.5us\" \
         (units ns, us, ms, s, min, h) for hosts[1].workload.on, \
         got `0.2`"
    );
}

#[test]
fn missing_keys_point_at_their_table() {
    let e = load::<Scenario>(&src(&edit("volser = \"VOL001\"\n", "")), &[]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "baseline.toml:25:1: missing key `volser` in [volumes[0]]"
    );
    assert_eq!(
        err(&edit("name = \"baseline\"\n", "")),
        "baseline.toml: missing key `name` in the top-level table"
    );
    assert_eq!(
        err(&edit("[run]\nseed = 7\n", "[run]\n")),
        "baseline.toml:3:1: missing key `seed` in [run]"
    );
}

#[test]
fn internally_tagged_enums_get_precise_messages() {
    // Misspelt tag value.
    assert_eq!(
        err(&edit("kind = \"burst\"", "kind = \"bursty\"")),
        "baseline.toml:48:8: hosts[1].workload.kind: unknown variant `bursty`, did you mean `burst`? \
         allowed: poisson, burst, trace"
    );
    // Misspelt key of a variant.
    assert_eq!(
        err(&edit("rate = 2000", "rat = 2000")),
        "baseline.toml:49:1: unknown key `rat` in [hosts[1].workload]; did you mean `rate`? \
         allowed keys: rate, on, off"
    );
    // A key of another variant.
    assert_eq!(
        err(&edit("rate = 2000", "rate = 2000\npath = \"x.spc\"")),
        "baseline.toml:50:1: unknown key `path` in [hosts[1].workload]; allowed keys: rate, on, off"
    );
    // Missing key of a variant.
    assert_eq!(
        err(&edit("rate = 2000\n", "")),
        "baseline.toml:47:1: missing key `rate` in [hosts[1].workload]"
    );
    // Missing tag.
    assert_eq!(
        err(&edit("kind = \"burst\"\n", "")),
        "baseline.toml:47:1: missing key `kind` in [hosts[1].workload]"
    );
    // Wrong type inside a variant (inline table).
    assert_eq!(
        err(&edit("rate = 400.0", "rate = \"fast\"")),
        "baseline.toml:43:39: expected a number for hosts[0].workload.rate, got `\"fast\"`"
    );
    // Bad duration inside a variant.
    assert_eq!(
        err(&edit("off = \"1.8s\"", "off = \"1.8 sec\"")),
        "baseline.toml:51:7: hosts[1].workload.off: duration `1.8 sec` has unknown unit `sec`: \
         allowed units are ns, us, ms, s, min, h"
    );
}

#[test]
fn tagged_enum_nested_in_a_tagged_enum() {
    // `sim::rng::Dist` inside the `poisson` workload, both buffered by serde.
    assert_eq!(
        err(&edit("value = 4096", "valeu = 4096")),
        "baseline.toml:43:74: unknown key `valeu` in [hosts[0].workload.size]; did you mean `value`? \
         allowed keys: value"
    );
    assert_eq!(
        err(&edit("kind = \"constant\"", "kind = \"konstant\"")),
        "baseline.toml:43:62: hosts[0].workload.size.kind: unknown variant `konstant`, did you mean \
         `constant`? allowed: constant, uniform, exp, normal, log_normal, pareto, bounded_pareto, empirical"
    );
    // The same key name one level up is valid there: the error goes to the table where it is
    // not.
    assert_eq!(
        err(&edit(
            "size = { kind = \"constant\", value = 4096 }",
            "size = { kind = \"exp\", rate = 4096 }"
        )),
        "baseline.toml:43:69: unknown key `rate` in [hosts[0].workload.size]; allowed keys: mean"
    );
}

#[test]
fn syntax_errors_give_the_parsers_explanation() {
    assert_eq!(
        err(&edit("seed = 7", "seed = 7\nseed = 8")),
        "baseline.toml:5:1: invalid TOML: duplicate key `seed`"
    );
    assert_eq!(
        err(&edit("seed = 7", "seed = ")),
        "baseline.toml:4:8: invalid TOML: string values must be quoted, expected literal string"
    );
    assert_eq!(
        err(&edit("mode = \"xrc\"", "mode = xrc")),
        "baseline.toml:14:8: invalid TOML: string values must be quoted, expected literal string"
    );
    assert_eq!(
        err(&edit("length = \"30s\"", "length = \"30s")),
        "baseline.toml:5:14: invalid TOML: invalid basic string, expected `\"`"
    );
    let e = load::<Scenario>(&src("a = [1,"), &[]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "baseline.toml:1:8: invalid TOML: unclosed array, expected `]`"
    );
    assert!(matches!(e.kind, ErrorKind::Syntax { .. }));
}

#[test]
fn columns_count_characters_and_survive_crlf() {
    // Two-byte characters before the error on the same line.
    let text = edit(
        "workload = { kind = \"poisson\", rate = 400.0, size = { kind = \"constant\", value = 4096 } }",
        "workload = { kind = \"trace\", path = \"dätä.spc\", x = 1 }",
    );
    assert_eq!(
        err(&text),
        "baseline.toml:43:49: unknown key `x` in [hosts[0].workload]; allowed keys: path"
    );
    let text = "name = \"ñ\"; x = 1";
    assert_eq!(
        load::<Scenario>(&src(text), &[]).unwrap_err().to_string(),
        "baseline.toml:1:11: invalid TOML: unexpected key or value, expected newline, `#`"
    );
    let crlf = edit("paths = 2", "pahts = 2").replace('\n', "\r\n");
    assert_eq!(
        err(&crlf),
        "baseline.toml:11:1: unknown key `pahts` in [link]; did you mean `paths`? \
         allowed keys: distance_km, bandwidth_mbps, overhead, paths, outages"
    );
}

#[test]
fn custom_errors_without_a_quoted_value_fall_back_to_the_enclosing_table() {
    assert_eq!(
        err(&edit("off = \"1.8s\"", "off = -5")),
        "baseline.toml:47:1: hosts[1].workload: a duration cannot be negative"
    );
}

#[test]
fn nesting_at_the_parsers_limit_does_not_overflow() {
    let deep = format!("a = {}1{}", "[".repeat(79), "]".repeat(79));
    let r = load::<std::collections::BTreeMap<String, toml::Value>>(&src(&deep), &[]);
    assert!(r.is_ok());
    let too_deep = format!("a = {}1{}", "[".repeat(200), "]".repeat(200));
    assert!(load::<Scenario>(&src(&too_deep), &[]).is_err());
    // A --set path at the limit, with a value at the limit.
    let path = vec!["k"; tree::MAX_PATH_SEGMENTS].join(".");
    let arg = format!("{path}={}1{}", "[".repeat(79), "]".repeat(79));
    let r = load::<std::collections::BTreeMap<String, toml::Value>>(
        &src(""),
        std::slice::from_ref(&arg),
    );
    assert!(r.is_ok());
    let e = load::<Scenario>(&src(BASE), &[arg]).unwrap_err();
    assert!(e.to_string().starts_with("--set k.k.k"), "{e}");
    let e = load::<Scenario>(&src(BASE), &[format!("{path}.k=1")]).unwrap_err();
    assert!(e.to_string().contains("deeper than 80 levels"), "{e}");
}

// ---- validation by the schema: error_at and locate ----

#[test]
fn schema_validation_errors_are_placed_at_the_key_path() {
    let text = edit("primary = \"VOL002\"", "primary = \"VOL999\"");
    let l = load::<Scenario>(&src(&text), &[]).unwrap();
    let e = l.value.validate(&l.doc).unwrap_err();
    assert_eq!(
        e.to_string(),
        "baseline.toml:22:11: copy.pairs[1].primary: no volume named `VOL999`; \
         volumes are: VOL001, VOL002, SEC001, SEC002"
    );
    assert_eq!(e.path, "copy.pairs[1].primary");
    assert_eq!(e.location, Location::At { line: 22, col: 11 });
}

#[test]
fn locate_finds_values_headers_and_overrides() {
    let l = ok_with(&["link.overhead=0.1", "run.rpo_sample=1s"]);
    assert_eq!(l.locate("run.seed"), Some(Location::At { line: 4, col: 8 }));
    assert_eq!(
        l.locate("copy.pairs[1].primary"),
        Some(Location::At { line: 22, col: 11 })
    );
    // Tables: their header.
    assert_eq!(
        l.locate("copy.pairs[1]"),
        Some(Location::At { line: 21, col: 1 })
    );
    assert_eq!(l.locate("link"), Some(Location::At { line: 7, col: 1 }));
    assert_eq!(
        l.locate("hosts[1].workload"),
        Some(Location::At { line: 47, col: 1 })
    );
    // Inside an inline table.
    assert_eq!(
        l.locate("hosts[0].workload.rate"),
        Some(Location::At { line: 43, col: 39 })
    );
    assert_eq!(
        l.locate(" hosts[0].workload.size.value "),
        Some(Location::At { line: 43, col: 82 })
    );
    // Written by --set.
    assert_eq!(
        l.locate("link.overhead"),
        Some(Location::Set {
            arg: "link.overhead=0.1".into()
        })
    );
    assert_eq!(
        l.locate("run.rpo_sample"),
        Some(Location::Set {
            arg: "run.rpo_sample=1s".into()
        })
    );
    // Not written anywhere, or not a path.
    assert_eq!(l.locate("copy.batch_bytes"), None);
    assert_eq!(l.locate("copy.pairs[2]"), None);
    assert_eq!(l.locate("run.seed.x"), None);
    assert_eq!(l.locate("a..b"), None);
}

#[test]
fn error_at_a_default_value_points_at_the_enclosing_table() {
    let l = ok_with(&[]);
    assert_eq!(
        l.error_at("copy.batch_bytes", "must be at least 1 byte")
            .to_string(),
        "baseline.toml:13:1: copy.batch_bytes: must be at least 1 byte"
    );
    assert_eq!(
        l.error_at("nothing.here", "is odd").to_string(),
        "baseline.toml: nothing.here: is odd"
    );
    let l = ok_with(&["copy.batch_bytes=0"]);
    assert_eq!(
        l.value.validate(&l.doc).unwrap_err().to_string(),
        "--set copy.batch_bytes=0: copy.batch_bytes: must be at least 1 byte"
    );
}

// ---- --set ----

#[test]
fn set_overrides_values_of_every_type() {
    let l = ok_with(&[
        "link.bandwidth_mbps=155.52",
        "link.distance_km=1000",
        "copy.mode=xrc-prt",
        "run.length=2min",
        "run.seed=18446744073709551615",
        "name=\"two words\"",
        "copy.pairs[1].primary=SEC001",
        "hosts[1].workload.rate=10",
    ]);
    let s = &l.value;
    assert_eq!(s.link.bandwidth_mbps, 155.52);
    assert_eq!(s.link.distance_km, 1000.0);
    assert_eq!(s.copy.mode, Mode::XrcPrt);
    assert_eq!(s.run.length, SimDuration::from_secs(120));
    assert_eq!(s.run.seed, u64::MAX);
    assert_eq!(s.name, "two words");
    assert_eq!(s.copy.pairs[1].primary, "SEC001");
    assert!(matches!(s.hosts[1].workload, Workload::Burst { rate, .. } if rate == 10.0));
    // Later overrides win.
    let l = ok_with(&["copy.mode=sync", "copy.mode=pit"]);
    assert_eq!(l.value.copy.mode, Mode::Pit);
}

#[test]
fn set_creates_keys_tables_and_whole_values() {
    let l = ok_with(&[
        "run.rpo_sample=10ms",
        "copy.batch_bytes=4096",
        "link.outages=[{ at = \"1s\", length = \"500ms\" }]",
        "link.outages[0].length=2s",
        "hosts[0]={ name = \"SYSZ\", workload = { kind = \"trace\", path = \"t.spc\" } }",
    ]);
    let s = &l.value;
    assert_eq!(s.run.rpo_sample, SimDuration::from_millis(10));
    assert_eq!(s.copy.batch_bytes, 4096);
    assert_eq!(s.link.outages.len(), 1);
    assert_eq!(s.link.outages[0].at, SimDuration::from_secs(1));
    assert_eq!(s.link.outages[0].length, SimDuration::from_secs(2));
    assert_eq!(s.hosts[0].name, "SYSZ");
    assert_eq!(
        s.hosts[0].workload,
        Workload::Trace {
            path: "t.spc".into()
        }
    );
    // A table absent from the file, with its intermediate tables.
    let text = edit("[disaster]\nat = \"20s\"\n", "");
    let l = load::<Scenario>(&src(&text), &sets(&["disaster.at=5s"])).unwrap();
    assert_eq!(
        l.value.disaster.map(|d| d.at),
        Some(SimDuration::from_secs(5))
    );
}

#[test]
fn set_none_removes_a_key() {
    let l = ok_with(&["disaster=none"]);
    assert_eq!(l.value.disaster, None);
    let l = ok_with(&["link.paths=none", "copy.batch_timer = none"]);
    assert_eq!(l.value.link.paths, 1, "back to the default");
    assert_eq!(l.value.copy.batch_timer, SimDuration::from_millis(50));
    // A required key removed: the usual message, placed at the override that removed it.
    assert_eq!(
        err_with(BASE, &["disaster.at=none"]),
        "--set disaster.at=none: missing key `at` in [disaster]"
    );
    // The string "none" needs quotes.
    let l = ok_with(&["name=\"none\""]);
    assert_eq!(l.value.name, "none");
    // Removing what is not there changes nothing and says so.
    let l = ok_with(&["disaster.att=none", "nothing.at.all=none"]);
    assert_eq!(
        l.warnings(),
        [
            "--set disaster.att=none: there is no `disaster.att` to remove; nothing changed",
            "--set nothing.at.all=none: there is no `nothing.at.all` to remove; nothing changed"
        ]
    );
    assert!(l.value.disaster.is_some());
    assert_eq!(
        err_with(BASE, &["hosts[0]=none"]),
        "--set hosts[0]=none: `none` removes a key, not an array element; `hosts[0]` stays"
    );
}

#[test]
fn set_errors_name_the_argument() {
    assert_eq!(
        err_with(BASE, &["link.distance_km=far"]),
        "--set link.distance_km=far: expected a number for link.distance_km, got `far`"
    );
    assert_eq!(
        err_with(BASE, &["link.distnce_km=300"]),
        "--set link.distnce_km=300: unknown key `distnce_km` in [link]; did you mean `distance_km`? \
         allowed keys: distance_km, bandwidth_mbps, overhead, paths, outages"
    );
    assert_eq!(
        err_with(BASE, &["copy.mode=sync", "copy.mode=xrcc"]),
        "--set copy.mode=xrcc: copy.mode: unknown variant `xrcc`, did you mean `xrc`? \
         allowed: xrc, xrc-prt, sync, naive, pit"
    );
    assert_eq!(
        err_with(BASE, &["run.length=30 days"]),
        "--set run.length=30 days: run.length: duration `30 days` has unknown unit `days`: \
         allowed units are ns, us, ms, s, min, h"
    );
    assert_eq!(
        err_with(
            BASE,
            &["link={ distance_km = \"far\", bandwidth_mbps = 1 }"]
        ),
        "--set link={ distance_km = \"far\", bandwidth_mbps = 1 }: expected a number for \
         link.distance_km, got `\"far\"`"
    );
    assert_eq!(
        err_with(BASE, &["link=5"]),
        "--set link=5: expected a table for link, got `5`"
    );
    assert_eq!(
        err_with(BASE, &["hosts[1].workload.kind=bursty"]),
        "--set hosts[1].workload.kind=bursty: hosts[1].workload.kind: unknown variant `bursty`, \
         did you mean `burst`? allowed: poisson, burst, trace"
    );
    // A new table the schema does not have.
    assert_eq!(
        err_with(BASE, &["links.distance_km=1"]),
        "--set links.distance_km=1: unknown key `links` in the top-level table; did you mean `link`? \
         allowed keys: name, run, link, copy, volumes, hosts, disaster"
    );
    // Control characters in a plain value are shown escaped, keeping the message on one line.
    assert_eq!(
        err_with(BASE, &["link.paths=two\nthree"]),
        "--set link.paths=two\nthree: expected a non-negative integer for link.paths, got `two\\nthree`"
    );
    // Integers are not strings.
    assert_eq!(
        err_with(BASE, &["name=42"]),
        "--set name=42: expected a string for name, got `42`"
    );
}

#[test]
fn set_path_errors() {
    assert_eq!(
        err_with(BASE, &["hosts[5].name=x"]),
        "--set hosts[5].name=x: index 5 is past the end of `hosts`: it has 2 elements, indices 0 to 1"
    );
    assert_eq!(
        err_with(BASE, &["link.outages[0].at=1s"]),
        "--set link.outages[0].at=1s: there is no array `link.outages` in [link] to index into"
    );
    assert_eq!(
        err_with(BASE, &["link.outages=[]", "link.outages[0]={}"]),
        "--set link.outages[0]={}: index 0 is past the end of `link.outages`: it is empty"
    );
    assert_eq!(
        err_with(BASE, &["link.distance_km.x=1"]),
        "--set link.distance_km.x=1: `link.distance_km` is an integer, not a table, so it has no key `x`"
    );
    assert_eq!(
        err_with(BASE, &["link[0]=1"]),
        "--set link[0]=1: `link` is a table, not an array, so it cannot be indexed"
    );
    assert_eq!(
        err_with(BASE, &["foo"]),
        "--set foo: missing `=`: write --set path=value, e.g. --set link.bandwidth_mbps=44.736"
    );
    assert_eq!(
        err_with(BASE, &["a..b=1"]),
        "--set a..b=1: unexpected `.` at character 3 of key path `a..b`; \
         write dotted keys with optional [index], e.g. hosts[1].workload.rate"
    );
    assert_eq!(
        err_with(BASE, &["=1"]),
        "--set =1: empty key path; write dotted keys with optional [index], e.g. hosts[1].workload.rate"
    );
    let e = load::<Scenario>(&src(BASE), &sets(&["run.seed=1", "hosts[9]=1"])).unwrap_err();
    assert_eq!(e.set_arg(), Some("hosts[9]=1"));
    assert_eq!(e.path, "hosts[9]");
    assert!(matches!(e.kind, ErrorKind::BadSet { .. }));
}

#[test]
fn set_value_parsing_rules() {
    // TOML values when they parse, plain strings otherwise.
    let mut d = Document::parse(&src("")).unwrap();
    for a in [
        "a=1",
        "b=1.5",
        "c=true",
        "d=\"q\"",
        "e=[1, 2]",
        "f={ x = 1 }",
        "g=xrc-prt",
        "h=30s",
        "i=",
        "j=1979-05-27",
        "k= spaced out ",
        "l='lit'",
    ] {
        d.apply_set(a).unwrap();
    }
    let v: std::collections::BTreeMap<String, toml::Value> = d.deserialize().unwrap();
    let shown: Vec<String> = v.iter().map(|(k, v)| format!("{k}={v}")).collect();
    assert_eq!(
        shown,
        [
            "a=1",
            "b=1.5",
            "c=true",
            "d=\"q\"",
            "e=[1, 2]",
            "f={ x = 1 }",
            "g=\"xrc-prt\"",
            "h=\"30s\"",
            "i=\"\"",
            "j=\"1979-05-27\"",
            "k=\"spaced out\"",
            "l=\"lit\""
        ]
    );
    assert_eq!(d.overrides().len(), 12);
}

// ---- reading files ----

#[test]
fn missing_file_message() {
    let e = read_file(std::path::Path::new("/nonexistent/dir/x.toml")).unwrap_err();
    assert_eq!(
        e.to_string(),
        "cannot read scenario file `/nonexistent/dir/x.toml`: No such file or directory"
    );
    assert_eq!(e.location, Location::Nowhere);
}

#[test]
fn files_round_trip_and_non_utf8_is_refused() {
    let dir = std::env::temp_dir().join(format!("xrcsim-load-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let good = dir.join("good.toml");
    std::fs::write(&good, BASE).unwrap();
    let s = read_file(&good).unwrap();
    assert_eq!(s.text, BASE);
    assert_eq!(s.name, good.display().to_string());
    let bad = dir.join("bad.toml");
    std::fs::write(&bad, b"name = \"a\"\nx = \"\xff\"\n").unwrap();
    let e = read_file(&bad).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "cannot read scenario file `{}`: not UTF-8 text (invalid byte at line 2, column 6)",
            bad.display()
        )
    );
    let _ = std::fs::remove_dir_all(&dir);
}

// ---- schemas without deny_unknown_fields, externally tagged enums ----

#[derive(Debug, serde::Deserialize, PartialEq)]
struct Lax {
    a: u32,
    #[serde(default)]
    shape: Option<Shape>,
}

#[derive(Debug, serde::Deserialize, PartialEq)]
#[serde(rename_all = "snake_case")]
enum Shape {
    Dot,
    Circle { r: f64 },
    Pair(u8, u8),
}

#[test]
fn keys_the_schema_ignores_are_still_errors() {
    let e = load::<Lax>(&Source::new("lax.toml", "a = 1\nb = 2\n"), &[]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "lax.toml:2:1: unknown key `b` in the top-level table; allowed keys: a, shape"
    );
}

#[test]
fn externally_tagged_enums() {
    let get = |t: &str| load::<Lax>(&Source::new("e.toml", t), &[]).map(|l| l.value.shape);
    assert_eq!(get("a = 1\nshape = \"dot\"").unwrap(), Some(Shape::Dot));
    assert_eq!(
        get("a = 1\nshape = { circle = { r = 2 } }").unwrap(),
        Some(Shape::Circle { r: 2.0 })
    );
    assert_eq!(
        get("a = 1\nshape.pair = [1, 2]").unwrap(),
        Some(Shape::Pair(1, 2))
    );
    assert_eq!(
        get("a = 1\nshape = { circel = { r = 2 } }")
            .unwrap_err()
            .to_string(),
        "e.toml:2:11: shape: unknown variant `circel`, did you mean `circle`? allowed: dot, circle, pair"
    );
    assert_eq!(
        get("a = 1\nshape = { circle = { r = \"big\" } }")
            .unwrap_err()
            .to_string(),
        "e.toml:2:26: expected a number for shape.circle.r, got `\"big\"`"
    );
    assert_eq!(
        get("a = 1\nshape.pair = [1]").unwrap_err().to_string(),
        "e.toml:2:14: expected an array for shape.pair, got 1 element"
    );
    assert_eq!(
        get("a = 1\nshape = { circle = { r = 1 }, dot = {} }")
            .unwrap_err()
            .to_string(),
        "e.toml:2:9: expected one of dot, circle, pair for shape, got a table"
    );
}

// ---- properties ----

/// Fragments that make random edits likely to reach deep into the loader.
const TOKENS: &[&str] = &[
    "[link]",
    "[[hosts]]",
    "[copy]",
    "[[copy.pairs]]",
    "[hosts.workload]",
    "kind = \"exp\"",
    "kind = \"poisson\"",
    "rate = 1",
    "size = { kind = \"constant\", value = 1 }",
    "x = 1",
    "mode = \"pit\"",
    "\"",
    "=",
    "[",
    "]",
    "{",
    "}",
    ",",
    "\n",
    ".",
    "none",
    "1e999",
    "-0",
    "0x7f",
    "30s",
    "\u{e9}",
    "\r\n",
    "#",
    "'''",
    "\"\"\"",
    "inf",
    "nan",
    "1979-05-27T07:32:00Z",
];

const SET_PATHS: &[&str] = &[
    "link.distance_km",
    "copy.mode",
    "run.length",
    "hosts[0].workload.rate",
    "hosts[1]",
    "copy.pairs[0].primary",
    "disaster.at",
    "disaster",
    "link.outages",
    "a.b.c",
    "hosts[7].x",
    "name",
    "\"q\".r",
    "x[0][1]",
    "",
];

fn mutated_base() -> impl Strategy<Value = String> {
    prop::collection::vec(
        (0..BASE.len(), 0..8usize, prop::sample::select(TOKENS)),
        0..6,
    )
    .prop_map(|edits| {
        let mut t = BASE.to_string();
        for (at, del, tok) in edits {
            let mut at = at.min(t.len());
            while !t.is_char_boundary(at) {
                at -= 1;
            }
            let mut end = (at + del).min(t.len());
            while !t.is_char_boundary(end) {
                end -= 1;
            }
            t.replace_range(at..end, tok);
        }
        t
    })
}

/// Whole lines that keep the TOML valid, so edits reach the deserializer and validation.
const LINES: &[&str] = &[
    "",
    "[link]",
    "[[hosts]]",
    "[hosts.workload]",
    "[[copy.pairs]]",
    "[disaster]",
    "kind = \"exp\"",
    "kind = \"trace\"",
    "mean = 1",
    "rate = \"x\"",
    "path = 5",
    "at = \"1s\"",
    "at = -1",
    "mode = \"sync\"",
    "primary = \"VOL777\"",
    "value = -1",
    "paths = 1.5",
    "x = 1",
    "size = { kind = \"uniform\", low = 1, high = 2 }",
    "workload = { kind = \"burst\", rate = 1, on = \"1s\", off = 2 }",
    "outages = [{ at = \"1s\", length = \"1\" }]",
];

fn line_mutated_base() -> impl Strategy<Value = String> {
    let n = BASE.lines().count();
    prop::collection::vec((0..n, prop::sample::select(LINES)), 1..4).prop_map(move |edits| {
        let mut lines: Vec<&str> = BASE.lines().collect();
        for (at, line) in edits {
            let last = lines.len() - 1;
            lines[at.min(last)] = line;
        }
        lines.join("\n")
    })
}

fn set_arg() -> impl Strategy<Value = String> {
    prop_oneof![
        ".*",
        (
            prop::sample::select(SET_PATHS),
            prop::sample::select(TOKENS)
        )
            .prop_map(|(p, v)| format!("{p}={v}")),
        (prop::sample::select(SET_PATHS), "[ -~]{0,12}").prop_map(|(p, v)| format!("{p}={v}")),
    ]
}

/// Checks the invariants of any outcome: messages are non-empty single lines, file positions
/// lie inside the text, --set errors quote one of the arguments.
fn check_outcome(text: &str, sets: &[String], r: &Result<Loaded<Scenario>, LoadError>) {
    match r {
        Ok(l) => {
            let _ = l.value.validate(&l.doc).map_err(|e| e.to_string());
            for s in sets {
                let p = s.split('=').next().unwrap_or_default();
                let _ = l.locate(p);
                assert!(!l.error_at(p, "m").to_string().is_empty());
            }
        }
        Err(e) => {
            let msg = e.to_string();
            assert!(!msg.is_empty());
            match &e.location {
                Location::At { line, col } => {
                    let lines: Vec<&str> = text.split('\n').collect();
                    assert!(*line >= 1 && (*line as usize) <= lines.len(), "{msg}");
                    let l = lines[*line as usize - 1];
                    assert!(
                        *col >= 1 && (*col as usize) <= l.chars().count() + 1,
                        "{msg}"
                    );
                }
                Location::Set { arg } => assert!(sets.contains(arg), "{msg}"),
                Location::File | Location::Nowhere => {}
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn never_panics_on_arbitrary_text(text in ".*", sets in prop::collection::vec(set_arg(), 0..3)) {
        let r = load::<Scenario>(&src(&text), &sets);
        check_outcome(&text, &sets, &r);
        fuzz_load(text.as_bytes());
    }

    #[test]
    fn never_panics_on_mutated_scenarios(text in prop_oneof![mutated_base(), line_mutated_base()], sets in prop::collection::vec(set_arg(), 0..4)) {
        let r = load::<Scenario>(&src(&text), &sets);
        check_outcome(&text, &sets, &r);
        let mut bytes = text.into_bytes();
        for s in &sets {
            bytes.push(0);
            bytes.extend_from_slice(s.as_bytes());
        }
        fuzz_load(&bytes);
    }

    #[test]
    fn fuzz_entry_point_takes_any_bytes(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        fuzz_load(&bytes);
    }

    /// An unknown key inserted on any line of [link] is reported at exactly that line, column 1.
    #[test]
    fn unknown_key_is_reported_on_its_line(after in 7usize..=11, name in "[a-z]{1,3}_zz") {
        let mut lines: Vec<String> = BASE.lines().map(str::to_string).collect();
        lines.insert(after, format!("{name} = 1"));
        let text = lines.join("\n");
        let e = load::<Scenario>(&src(&text), &[]).unwrap_err();
        prop_assert_eq!(&e.location, &Location::At { line: after as u32 + 1, col: 1 });
        prop_assert_eq!(&e.path, &format!("link.{name}"));
    }

    /// Any number set on the command line reaches the value unchanged.
    #[test]
    fn set_numbers_round_trip(km in 0.0f64..1e6, seed in any::<u64>(), paths in any::<u8>()) {
        let l = ok_with(&[
            &format!("link.distance_km={km:?}"),
            &format!("run.seed={seed}"),
            &format!("link.paths={paths}"),
        ]);
        prop_assert_eq!(l.value.link.distance_km, km);
        prop_assert_eq!(l.value.run.seed, seed);
        prop_assert_eq!(l.value.link.paths, paths);
    }

    /// Any duration literal set on the command line equals its parse.
    #[test]
    fn set_durations_round_trip(n in 0u64..1_000_000, unit in prop::sample::select(&["ns", "us", "ms", "s", "min", "h"][..])) {
        let lit = format!("{n}{unit}");
        let l = ok_with(&[&format!("run.length={lit}")]);
        prop_assert_eq!(l.value.run.length, lit.parse::<SimDuration>().unwrap());
    }
}
