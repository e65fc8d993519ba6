//! `cargo xtask <task>`: project automation that is not part of the product.

fn main() -> anyhow::Result<()> {
    anyhow::bail!("usage: cargo xtask <demo|bench>")
}
