//! The suite against a fresh emulator per case, for every mode of both backends.

use streamload_conformance::{Mode, conformance_suite, emulated};

mod doris_2pc {
    super::conformance_suite!(super::emulated, super::Mode::Doris2pc);
}
mod doris_batch {
    super::conformance_suite!(super::emulated, super::Mode::DorisBatch);
}
mod doris_group_commit {
    super::conformance_suite!(super::emulated, super::Mode::DorisGroupCommit);
}
mod starrocks_v2 {
    super::conformance_suite!(super::emulated, super::Mode::StarRocksV2);
}
mod starrocks_v2_at_least_once {
    super::conformance_suite!(super::emulated, super::Mode::StarRocksV2AtLeastOnce);
}
mod starrocks_v1 {
    super::conformance_suite!(super::emulated, super::Mode::StarRocksV1);
}
mod starrocks_merge_commit {
    super::conformance_suite!(super::emulated, super::Mode::StarRocksMergeCommit);
}
