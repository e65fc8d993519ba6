//! `tokensim prices`.

use crate::util::{ok, stable};

#[test]
fn prices_table_lists_every_model() {
    let out = ok(&["prices"]);
    insta::assert_snapshot!("prices_table", stable(&out));
}

#[test]
fn prices_json_is_complete() {
    let v: serde_json::Value = serde_json::from_str(&ok(&["prices", "--format", "json"])).unwrap();
    let models = v["models"].as_array().unwrap();
    assert!(models.len() >= 20);
    let sonnet = models
        .iter()
        .find(|m| m["id"] == "claude-sonnet-4-5")
        .unwrap();
    assert!(sonnet["aliases"]
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a == "claude-sonnet-4-5-20250929"));
    assert_eq!(sonnet["prices"][0]["standard"]["cache_write_1h"], "6");
    assert_eq!(
        sonnet["prices"][0]["long_context"]["above_input_tokens"],
        200_000
    );
    assert_eq!(v["web_search_usd_per_request"], "0.010000000000");
}
