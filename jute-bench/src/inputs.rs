//! The benchmarked records.

use jute_schemas::data::Stat;
use jute_schemas::proto::{GetChildrenResponse, GetDataResponse, SetWatches2};

/// A Stat with every field set.
pub fn stat() -> Stat {
    Stat {
        czxid: 0x1_0000_0001,
        mzxid: 0x1_0000_0a2c,
        ctime: 1_763_600_000_000,
        mtime: 1_763_700_000_000,
        version: 12,
        cversion: 3,
        aversion: 1,
        ephemeral_owner: 0x0100_0123_4567_89ab,
        data_length: 1024,
        num_children: 0,
        pzxid: 0x1_0000_0001,
    }
}

/// GetDataResponse with `n` bytes of data.
pub fn get_data(n: usize) -> GetDataResponse {
    GetDataResponse {
        data: Some((0..n).map(|i| (i * 31) as u8).collect()),
        stat: stat(),
    }
}

/// GetChildrenResponse with `n` names like `member-0000000042`.
pub fn children(n: usize) -> GetChildrenResponse {
    GetChildrenResponse {
        children: Some((0..n).map(|i| format!("member-{i:010}")).collect()),
    }
}

/// SetWatches2 with `n` paths spread over the five lists.
pub fn set_watches2(n: usize) -> SetWatches2 {
    let paths = |k: usize| {
        Some(
            (0..n / 5)
                .map(|i| format!("/app/service-{k}/node-{i:06}"))
                .collect(),
        )
    };
    SetWatches2 {
        relative_zxid: 0x2_0000_1234,
        data_watches: paths(0),
        exist_watches: paths(1),
        child_watches: paths(2),
        persistent_watches: paths(3),
        persistent_recursive_watches: paths(4),
    }
}

#[cfg(test)]
mod tests {
    use jute::{Record, JAVA_FIELD_LENGTH_LIMIT as LIMIT};

    use super::*;
    use crate::hand;

    /// The hand-written code writes and reads the same bytes as the derived code.
    #[test]
    fn hand_written_matches_derived() {
        let s = stat();
        let mut v = Vec::new();
        hand::encode_stat(&s, &mut v);
        assert_eq!(v, s.to_vec());
        for n in [0, 1024, 1 << 20] {
            let r = get_data(n);
            assert_eq!(hand::encode_get_data(&r), r.to_vec());
            assert_eq!(hand::decode_get_data(&r.to_vec(), LIMIT), Ok(r.clone()));
        }
        let c = children(1000);
        assert_eq!(hand::encode_children(&c), c.to_vec());
        assert_eq!(hand::decode_children(&c.to_vec(), LIMIT), Ok(c));
        let w = set_watches2(10_000);
        assert_eq!(hand::encode_set_watches2(&w), w.to_vec());
        assert_eq!(hand::decode_set_watches2(&w.to_vec(), LIMIT), Ok(w));
    }
}
