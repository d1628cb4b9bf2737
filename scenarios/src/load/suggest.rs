//! "Did you mean ...?": the closest allowed name to a misspelt key or variant.

/// Optimal-string-alignment edit distance (Damerau-Levenshtein restricted to adjacent
/// transpositions) between `a` and `b`, counted in characters.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let w = b.len() + 1;
    // d[i * w + j]: distance between the first i characters of a and the first j of b.
    let mut d = vec![0usize; (a.len() + 1) * w];
    for i in 0..=a.len() {
        d[i * w] = i;
    }
    for (j, cell) in d[..w].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[(i - 1) * w + j] + 1)
                .min(d[i * w + j - 1] + 1)
                .min(d[(i - 1) * w + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[(i - 2) * w + j - 2] + 1);
            }
            d[i * w + j] = v;
        }
    }
    d[a.len() * w + b.len()]
}

/// The allowed name closest to `given`, when it is close enough to be a plausible misspelling:
/// equal ignoring case, one edit away (names of three or more characters), at most a third of the name's length away, or a prefix of
/// at least four characters (`distance` for `distance_km`). Ties go to the earlier name.
pub fn closest<'a>(given: &str, allowed: &[&'a str]) -> Option<&'a str> {
    let lower = given.to_lowercase();
    let mut best: Option<(usize, &'a str)> = None;
    for &name in allowed {
        if name == given {
            continue;
        }
        let d = if name.to_lowercase() == lower {
            0
        } else {
            edit_distance(&lower, &name.to_lowercase())
        };
        let len = name.chars().count();
        let close = d == 0 || (d <= 1 && len >= 3) || 3 * d <= len;
        let prefix = given.chars().count() >= 4
            && (name.starts_with(given) || given.starts_with(name) && name.chars().count() >= 4);
        if !(close || prefix) {
            continue;
        }
        // A prefix match ranks after any true near-miss.
        let score = if close { d } else { usize::MAX / 2 };
        if best.is_none_or(|(s, _)| score < s) {
            best = Some((score, name));
        }
    }
    best.map(|(_, n)| n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn distances() {
        assert_eq!(edit_distance("", ""), 0);
        assert_eq!(edit_distance("abc", ""), 3);
        assert_eq!(edit_distance("", "ab"), 2);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("bandwith_mbps", "bandwidth_mbps"), 1);
        assert_eq!(edit_distance("ab", "ba"), 1);
        assert_eq!(edit_distance("distnace_km", "distance_km"), 1);
        assert_eq!(edit_distance("ca", "abc"), 3);
    }

    #[test]
    fn suggestions() {
        let link = [
            "distance_km",
            "bandwidth_mbps",
            "overhead",
            "paths",
            "outages",
        ];
        assert_eq!(closest("bandwith_mbps", &link), Some("bandwidth_mbps"));
        assert_eq!(closest("distnce_km", &link), Some("distance_km"));
        assert_eq!(closest("distance", &link), Some("distance_km"));
        assert_eq!(closest("Paths", &link), Some("paths"));
        assert_eq!(closest("colour", &link), None);
        assert_eq!(closest("x", &link), None);
        assert_eq!(
            closest("b", &["a", "shape"]),
            None,
            "one-letter names are never close"
        );
        assert_eq!(closest("ab", &["ba"]), None);
        assert_eq!(closest("rat", &["rate", "on", "off"]), Some("rate"));
        let modes = ["xrc", "xrc-prt", "sync", "naive", "pit"];
        assert_eq!(closest("xrcc", &modes), Some("xrc"));
        assert_eq!(closest("xrc_prt", &modes), Some("xrc-prt"));
        assert_eq!(closest("async", &modes), Some("sync"));
        assert_eq!(closest("synchronous", &modes), Some("sync"));
        assert_eq!(closest("asynchronous", &modes), None);
        assert_eq!(
            closest("pit", &modes),
            None,
            "an exact match is not a suggestion"
        );
        assert_eq!(closest("anything", &[]), None);
    }

    proptest! {
        #[test]
        fn distance_is_a_metric_on_samples(a in "[a-c]{0,6}", b in "[a-c]{0,6}") {
            let d = edit_distance(&a, &b);
            prop_assert_eq!(d, edit_distance(&b, &a));
            prop_assert_eq!(d == 0, a == b);
            prop_assert!(d <= a.chars().count().max(b.chars().count()));
        }
    }
}
