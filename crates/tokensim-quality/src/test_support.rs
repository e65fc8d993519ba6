//! Test support: the price catalog's models, and the generated blocks of `docs/quality-risk.md`.
//!
//! The catalog's data file is read directly, not through `tokensim-pricing`, so that this crate's
//! tests build without the rest of the workspace.
//!
//! A generated block sits between `<!-- generated: NAME -->` and `<!-- end generated: NAME -->`.
//! When the text the code produces differs, the test rewrites the block and fails, so the change
//! shows in `git diff` for review (rust-analyzer's `ensure_file_contents`).

use std::path::PathBuf;
use std::sync::Mutex;

use serde::Deserialize;

use crate::ModelRef;

/// The price catalog: the ids, families and versions the priors are looked up with.
const CATALOG: &str = include_str!("../../tokensim-pricing/data/catalog.toml");

#[derive(Deserialize)]
struct CatalogFile {
    model: Vec<CatalogModel>,
}

/// A model of the price catalog (other keys of the file are ignored).
#[derive(Deserialize)]
pub(crate) struct CatalogModel {
    pub(crate) id: String,
    family: String,
    version: String,
}

impl CatalogModel {
    pub(crate) fn model_ref(&self) -> ModelRef<'_> {
        ModelRef::new(&self.id, &self.family, &self.version)
            .unwrap_or_else(|e| panic!("catalog model: {e}"))
    }
}

/// Every model of the price catalog, in file order.
pub(crate) fn catalog() -> Vec<CatalogModel> {
    toml::from_str::<CatalogFile>(CATALOG)
        .expect("the price catalog parses")
        .model
}

/// The catalog model with this canonical id.
pub(crate) fn catalog_model<'a>(models: &'a [CatalogModel], id: &str) -> ModelRef<'a> {
    models
        .iter()
        .find(|m| m.id == id)
        .unwrap_or_else(|| panic!("{id} is not a canonical id of the price catalog"))
        .model_ref()
}

/// Tests run in parallel threads and several rewrite the same file.
static DOC_LOCK: Mutex<()> = Mutex::new(());

fn doc_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/quality-risk.md")
}

/// Checks that each `(name, content)` block of `docs/quality-risk.md` holds `content`. Rewrites
/// every block that differs, then panics naming them.
pub(crate) fn ensure_blocks(blocks: &[(&str, &str)]) {
    let _guard = DOC_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let path = doc_path();
    let mut doc =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut stale = Vec::new();
    for (name, content) in blocks {
        let begin = format!("<!-- generated: {name} -->\n");
        let end = format!("<!-- end generated: {name} -->");
        let start = doc
            .find(&begin)
            .unwrap_or_else(|| panic!("{}: no `{}` line", path.display(), begin.trim_end()))
            + begin.len();
        let stop = start
            + doc[start..]
                .find(&end)
                .unwrap_or_else(|| panic!("{}: no `{end}` line", path.display()));
        if doc[start..stop] != **content {
            doc.replace_range(start..stop, content);
            stale.push(*name);
        }
    }
    if stale.is_empty() {
        return;
    }
    std::fs::write(&path, doc).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    panic!(
        "{}: generated blocks {stale:?} were out of date and have been rewritten; review `git diff` and rerun",
        path.display()
    );
}
