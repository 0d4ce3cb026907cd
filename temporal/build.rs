//! Nothing to build: the plugin is a build-dependency only so that cargo builds its `.so` beside
//! the worker (see Cargo.toml).

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
}
