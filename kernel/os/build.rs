// Links the kernel with our script, and rebuilds it when the user programs change.
fn main() {
    let dir = std::env::var("CARGO_MANIFEST_DIR").unwrap();
    println!("cargo:rustc-link-arg-bins=-T{dir}/kernel.ld");
    println!("cargo:rerun-if-changed=kernel.ld");
    println!("cargo:rerun-if-env-changed=INITRD");
    if let Ok(initrd) = std::env::var("INITRD") {
        println!("cargo:rerun-if-changed={initrd}");
    }
}
