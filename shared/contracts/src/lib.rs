//! No code: the crate holds the contract suites (`tests/`), one per port, each case run against
//! every adapter of that port (the embedded file, MongoDB, the in-process queue, SQS).
