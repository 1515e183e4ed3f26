//! Compiles the C++ probe shim against the libtorch that torch-sys links, and
//! embeds that libtorch's library directory as an rpath so the binaries,
//! tests and benchmarks start without LD_LIBRARY_PATH.

use std::env;
use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-changed=csrc/probe_shim.cpp");
    println!("cargo:rerun-if-env-changed=LIBTORCH");

    // torch-sys (links = "tch") publishes the directory it linked against.
    let lib_dir = PathBuf::from(env::var("DEP_TCH_LIBTORCH_LIB").expect(
        "torch-sys did not report its libtorch directory; run scripts/setup.sh first",
    ));
    let lib_dir = lib_dir.canonicalize().unwrap_or(lib_dir);
    let root = lib_dir.parent().expect("libtorch lib directory has a parent");
    let include = root.join("include");
    let abi = env::var("LIBTORCH_CXX11_ABI").unwrap_or_else(|_| "1".to_owned());

    cc::Build::new()
        .cpp(true)
        .pic(true)
        .std("c++17")
        .include(&include)
        .include(include.join("torch/csrc/api/include"))
        .define("_GLIBCXX_USE_CXX11_ABI", abi.as_str())
        .define("GLOG_USE_GLOG_EXPORT", None)
        .flag_if_supported("-Wno-unused-parameter")
        .file("csrc/probe_shim.cpp")
        .compile("epochmem_probe_shim");

    println!("cargo:rustc-link-lib=c10");
    println!("cargo:rustc-link-arg=-Wl,-rpath,{}", lib_dir.display());
    println!("cargo:rustc-env=EPOCHMEM_LIBTORCH_LIB={}", lib_dir.display());
}
