//! The scenario loader and builder never panic: random edits of the library's scenario
//! files and random `--set` arguments end in a value or an error (the fuzz target
//! `scenario_prepare` does the same with coverage guidance; see fuzz/README.md).

use proptest::prelude::*;

fn library() -> Vec<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension().is_some_and(|x| x == "toml")
                && p.file_name().is_some_and(|n| n != "large.toml")
        })
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect();
    v.sort();
    v
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn edited_scenarios_never_panic(
        which in 0usize..64,
        cut in any::<prop::sample::Index>(),
        insert in "[ -~\n]{0,40}",
        sets in proptest::collection::vec("[a-z_.\\[\\]0-9]{1,24}=[ -~]{0,16}", 0..3),
    ) {
        let lib = library();
        let text = &lib[which % lib.len()];
        let mut at = cut.index(text.len() + 1);
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        let edited = format!("{}{}{}", &text[..at], insert, &text[at..]);
        let mut bytes = edited.into_bytes();
        for s in sets {
            bytes.push(0);
            bytes.extend_from_slice(s.as_bytes());
        }
        scenarios::fuzz_prepare(&bytes);
    }
}
