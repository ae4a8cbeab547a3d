//! The FE and BE HTTP listeners. (Being built.)
