//! Embeds the libtorch rpath in the fuzz binary, as the main crate's build
//! script does for its own targets.

fn main() {
    println!("cargo:rerun-if-env-changed=LIBTORCH");
    let libtorch = std::env::var("LIBTORCH").expect("LIBTORCH is set by .cargo/config.toml");
    let lib = std::fs::canonicalize(format!("{libtorch}/lib")).expect("run scripts/setup.sh first");
    println!("cargo:rustc-link-arg=-Wl,-rpath,{}", lib.display());
}
