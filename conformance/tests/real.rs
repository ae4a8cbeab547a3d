//! The suite against real clusters, when `STREAMLOAD_DORIS_URL` / `STREAMLOAD_STARROCKS_URL`
//! (with `_MYSQL`, `_USER`, `_PASSWORD`) name them; each test prints why it skips otherwise.

use streamload_conformance::{Mode, conformance_suite, real};

mod doris_2pc {
    super::conformance_suite!(super::real, super::Mode::Doris2pc);
}
mod doris_batch {
    super::conformance_suite!(super::real, super::Mode::DorisBatch);
}
mod doris_group_commit {
    super::conformance_suite!(super::real, super::Mode::DorisGroupCommit);
}
mod starrocks_v2 {
    super::conformance_suite!(super::real, super::Mode::StarRocksV2);
}
mod starrocks_v2_at_least_once {
    super::conformance_suite!(super::real, super::Mode::StarRocksV2AtLeastOnce);
}
mod starrocks_v1 {
    super::conformance_suite!(super::real, super::Mode::StarRocksV1);
}
mod starrocks_merge_commit {
    super::conformance_suite!(super::real, super::Mode::StarRocksMergeCommit);
}
