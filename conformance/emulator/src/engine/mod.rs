//! The engine: catalog, transactions, storage. (Being built.)
