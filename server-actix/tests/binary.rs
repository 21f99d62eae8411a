//! The `server-actix` binary, run as users run it, through every binary check.

testkit::binary_tests!(env!("CARGO_BIN_EXE_server-actix"));
