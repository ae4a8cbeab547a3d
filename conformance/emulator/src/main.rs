//! The `streamload-emulator` binary. (Being built.)

fn main() {
    eprintln!("streamload-emulator: not built yet");
    std::process::exit(2);
}
