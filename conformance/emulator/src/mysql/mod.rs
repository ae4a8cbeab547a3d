//! The MySQL-protocol port. (Being built.)
