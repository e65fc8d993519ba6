//! `tokensim import FORMAT INPUT...` for the importers that convert line by line: each input is
//! converted in turn into one corpus (the first file's header kept), and the summary says, per
//! file, how every line was accounted for.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use tokensim_import::{ImportError, ImportSummary};

use crate::args::{AnthropicArgs, AzureArgs, BurstGptArgs, LiteLlmArgs, OtelArgs};
use crate::commands::{rule_counts, write_corpus};

/// Converts every input (`-` is stdin) with `convert` into the corpus at `output`, then prints
/// the summaries to stderr.
pub(crate) fn convert_files(
    inputs: &[PathBuf],
    output: &Path,
    convert: impl FnMut(Box<dyn BufRead>, &str, &mut dyn Write) -> Result<ImportSummary, ImportError>,
) -> Result<Vec<ImportSummary>> {
    let summaries = convert_each(inputs, output, convert)?;
    print_summaries(&summaries);
    Ok(summaries)
}

/// Converts every input in turn into one corpus: the first file's header line is kept, the
/// others' dropped. Returns each file's summary, in order.
pub(crate) fn convert_each<T>(
    inputs: &[PathBuf],
    output: &Path,
    mut convert: impl FnMut(Box<dyn BufRead>, &str, &mut dyn Write) -> Result<T, ImportError>,
) -> Result<Vec<T>> {
    write_corpus(output, |w| {
        let mut summaries = Vec::with_capacity(inputs.len());
        for (i, path) in inputs.iter().enumerate() {
            let (reader, name): (Box<dyn BufRead>, String) = if path == Path::new("-") {
                let mut stdin = io::stdin().lock();
                skip_bom(&mut stdin).context("cannot read <stdin>")?;
                (Box::new(stdin), "<stdin>".to_owned())
            } else {
                (Box::new(open_input(path)?), path.display().to_string())
            };
            let mut sink = SkipHeader {
                inner: &mut *w,
                skipping: i > 0,
            };
            summaries.push(convert(reader, &name, &mut sink)?);
        }
        Ok(summaries)
    })
}

/// Opens an import input, past a UTF-8 byte order mark at its start.
pub(crate) fn open_input(path: &Path) -> Result<BufReader<File>> {
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut reader = BufReader::new(file);
    skip_bom(&mut reader).with_context(|| format!("cannot read {}", path.display()))?;
    Ok(reader)
}

/// Skips a UTF-8 byte order mark at the start of an input: some Windows tools write one before
/// the JSON or CSV, which would otherwise be read as its first character.
fn skip_bom(reader: &mut impl BufRead) -> io::Result<()> {
    use tokensim_corpus::BOM;
    if reader.fill_buf()?.starts_with(BOM) {
        reader.consume(BOM.len());
    }
    Ok(())
}

fn print_summaries(summaries: &[ImportSummary]) {
    for s in summaries {
        eprintln!(
            "{}: {} lines read = {} records written + {} skipped + {} blank; {} adjusted{}",
            s.source_name,
            s.lines_read,
            s.records_written,
            s.skipped.len(),
            s.lines_blank,
            s.adjusted.len(),
            rule_counts(&s.skipped_by_rule(), &s.adjusted_by_rule()),
        );
        for note in s.skipped.iter().take(5) {
            eprintln!(
                "  skipped line {}: {}: {}",
                note.line, note.rule, note.detail
            );
        }
    }
    if summaries.len() > 1 {
        let sum = |f: fn(&ImportSummary) -> u64| summaries.iter().map(f).sum::<u64>();
        eprintln!(
            "{} files: {} lines read = {} records written + {} skipped + {} blank; {} adjusted",
            summaries.len(),
            sum(|s| s.lines_read),
            sum(|s| s.records_written),
            sum(|s| s.skipped.len() as u64),
            sum(|s| s.lines_blank),
            sum(|s| s.adjusted.len() as u64),
        );
    }
}

/// Drops everything up to and including the first newline written (the header line of a
/// second or later file), then passes the rest through.
struct SkipHeader<'a> {
    inner: &'a mut dyn Write,
    skipping: bool,
}

impl Write for SkipHeader<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if !self.skipping {
            return self.inner.write(buf);
        }
        match buf.iter().position(|&b| b == b'\n') {
            None => Ok(buf.len()),
            Some(end) => {
                self.skipping = false;
                self.inner.write_all(&buf[end + 1..])?;
                Ok(buf.len())
            }
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

pub(crate) fn cmd_import_anthropic(a: AnthropicArgs) -> Result<ExitCode> {
    use tokensim_import::anthropic::{convert, key_from_salt, AnthropicOptions};
    let salt = std::fs::read(&a.salt_file)
        .with_context(|| format!("--salt-file: cannot read {}", a.salt_file.display()))?;
    let mut opts = AnthropicOptions::new(
        key_from_salt(&salt).with_context(|| format!("--salt-file {}", a.salt_file.display()))?,
    );
    opts.default_ts = a
        .default_ts
        .as_deref()
        .map(|t| parse_ts("--default-ts", t))
        .transpose()?;
    opts.workspace = a.workspace.clone();
    convert_files(&a.inputs, &a.output, |r, name, w| {
        convert(r, name, &opts, w)
    })?;
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn cmd_import_burstgpt(a: BurstGptArgs) -> Result<ExitCode> {
    use tokensim_import::burstgpt::{convert, BurstGptOptions};
    let mut opts = BurstGptOptions {
        base: parse_ts("--base", &a.base)?,
        workspace: a.workspace.clone(),
        keep_failed: a.keep_failed,
        ..BurstGptOptions::default()
    };
    for spec in &a.map_model {
        opts.map_model(spec)?;
    }
    let catalog = tokensim_pricing::Catalog::builtin();
    for (from, to) in &opts.models {
        catalog
            .resolve(to)
            .with_context(|| format!("--map-model {from}={to}"))?;
    }
    convert_files(&a.inputs, &a.output, |r, name, w| {
        convert(r, name, &opts, w)
    })?;
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn cmd_import_azure(a: AzureArgs) -> Result<ExitCode> {
    use tokensim_import::azure::{convert, AzureOptions};
    tokensim_pricing::Catalog::builtin()
        .resolve(&a.model)
        .context("--model")?;
    let opts = AzureOptions {
        base: a
            .base
            .as_deref()
            .map(|b| parse_ts("--base", b))
            .transpose()?,
        model: a.model.clone(),
        workspace: a.workspace.clone(),
        app: a.app.clone(),
    };
    convert_files(&a.inputs, &a.output, |r, name, w| {
        convert(r, name, &opts, w)
    })?;
    Ok(ExitCode::SUCCESS)
}

fn model_map(specs: &[String]) -> Result<tokensim_import::models::ModelMap> {
    let mut map = tokensim_import::models::ModelMap::new();
    let catalog = tokensim_pricing::Catalog::builtin();
    for spec in specs {
        map.add_pair(spec)?;
        let to = spec.split_once('=').map_or("", |(_, to)| to);
        catalog
            .resolve(to)
            .with_context(|| format!("--map-model {spec}"))?;
    }
    Ok(map)
}

pub(crate) fn cmd_import_litellm(a: LiteLlmArgs) -> Result<ExitCode> {
    use tokensim_import::litellm::{convert, CacheTtl, LiteLlmOptions};
    let opts = LiteLlmOptions {
        models: model_map(&a.map_model)?,
        workspace: a.workspace.clone(),
        naive_offset_minutes: offset_minutes(&a.naive_offset)?,
        cache_write_ttl: CacheTtl::parse(&a.cache_write_ttl)?,
    };
    let summaries = convert_each(&a.inputs, &a.output, |r, name, w| {
        convert(r, name, &opts, w)
    })?;
    for s in &summaries {
        eprintln!(
            "{}: {} lines read ({} blank), {} rows read = {} records written + {} skipped; {} \
             adjusted; {} naive timestamps read at {}{}",
            s.source_name,
            s.lines_read,
            s.lines_blank,
            s.rows_read,
            s.records_written,
            s.skipped.len(),
            s.adjusted.len(),
            s.naive_timestamps,
            a.naive_offset,
            rule_counts(&s.skipped_by_rule(), &s.adjusted_by_rule()),
        );
        for note in s.skipped.iter().take(5) {
            eprintln!(
                "  skipped line {}: {}: {}",
                note.line, note.rule, note.detail
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn cmd_import_otel(a: OtelArgs) -> Result<ExitCode> {
    use tokensim_import::litellm::CacheTtl;
    use tokensim_import::otel::{convert, InputTokens, OtelOptions};
    let mut opts = OtelOptions {
        models: model_map(&a.map_model)?,
        workspace: a.workspace.clone(),
        cache_write_ttl: CacheTtl::parse(&a.cache_write_ttl)?,
        input_tokens: match a.input_tokens.as_str() {
            "inclusive" => InputTokens::Inclusive,
            "exclusive" => InputTokens::Exclusive,
            other => anyhow::bail!("--input-tokens: {other:?} is not inclusive or exclusive"),
        },
        ..OtelOptions::default()
    };
    if !a.team_attr.is_empty() {
        opts.team_keys = a.team_attr.clone();
    }
    if !a.app_attr.is_empty() {
        opts.app_keys = a.app_attr.clone();
    }
    if !a.feature_attr.is_empty() {
        opts.feature_keys = a.feature_attr.clone();
    }
    let summaries = convert_each(&a.inputs, &a.output, |r, name, w| {
        convert(r, name, &opts, w)
    })?;
    for s in &summaries {
        let skipped: std::collections::BTreeMap<&'static str, u64> = s.skipped_by_rule.clone();
        eprintln!(
            "{}: {} lines read ({} blank), {} exports ({} metrics only); {} spans + {} log \
             records = {} records written + {} skipped; {} adjusted{}",
            s.source_name,
            s.lines_read,
            s.lines_blank,
            s.exports_read,
            s.metric_exports,
            s.spans_read,
            s.log_records_read,
            s.records_written,
            s.skipped_total(),
            s.adjusted.len(),
            rule_counts(&skipped, &s.adjusted_by_rule()),
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `+HH:MM` / `-HH:MM` / `Z` as minutes east of UTC.
fn offset_minutes(text: &str) -> Result<i32> {
    if text == "Z" || text == "z" {
        return Ok(0);
    }
    let bad =
        || anyhow::anyhow!("--naive-offset: {text:?} is not an offset like +02:00, -05:30 or Z");
    let (sign, rest) = match text.as_bytes().first() {
        Some(b'+') => (1, &text[1..]),
        Some(b'-') => (-1, &text[1..]),
        _ => return Err(bad()),
    };
    let (h, m) = rest.split_once(':').ok_or_else(bad)?;
    let (h, m): (i32, i32) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if h > 23 || m > 59 || h < 0 || m < 0 {
        return Err(bad());
    }
    Ok(sign * (h * 60 + m))
}

fn parse_ts(flag: &str, text: &str) -> Result<tokensim_corpus::Timestamp> {
    tokensim_corpus::Timestamp::parse_rfc3339(text).map_err(|m| anyhow::anyhow!("{flag}: {m}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn later_headers_are_dropped_even_when_written_in_pieces() {
        let mut out = Vec::new();
        for (i, parts) in [["{\"h\"}\nA\n", ""], ["{\"h", "\"}\nB\n"]]
            .iter()
            .enumerate()
        {
            let mut w = SkipHeader {
                inner: &mut out,
                skipping: i > 0,
            };
            for p in parts {
                w.write_all(p.as_bytes()).unwrap();
            }
        }
        assert_eq!(String::from_utf8(out).unwrap(), "{\"h\"}\nA\nB\n");
    }

    #[test]
    fn offsets() {
        assert_eq!(offset_minutes("Z").unwrap(), 0);
        assert_eq!(offset_minutes("+02:00").unwrap(), 120);
        assert_eq!(offset_minutes("-05:30").unwrap(), -330);
        assert!(offset_minutes("05:30").is_err());
        assert!(offset_minutes("+24:00").is_err());
    }
}
