//! `tokensim import FORMAT INPUT...` for the importers that convert line by line: each input is
//! converted in turn into one corpus (the first file's header kept), and the summary says, per
//! file, how every line was accounted for.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use tokensim_import::{ImportError, ImportSummary};

use crate::args::{AnthropicArgs, AzureArgs, BurstGptArgs};
use crate::commands::{rule_counts, write_corpus};

/// Converts every input (`-` is stdin) with `convert` into the corpus at `output`, then prints
/// the summaries to stderr.
pub(crate) fn convert_files(
    inputs: &[PathBuf],
    output: &Path,
    mut convert: impl FnMut(
        Box<dyn BufRead>,
        &str,
        &mut dyn Write,
    ) -> Result<ImportSummary, ImportError>,
) -> Result<Vec<ImportSummary>> {
    let summaries = write_corpus(output, |w| {
        let mut summaries = Vec::with_capacity(inputs.len());
        for (i, path) in inputs.iter().enumerate() {
            let (reader, name): (Box<dyn BufRead>, String) = if path == Path::new("-") {
                (Box::new(io::stdin().lock()), "<stdin>".to_owned())
            } else {
                let file = File::open(path)
                    .with_context(|| format!("cannot open {}", path.display()))?;
                (Box::new(BufReader::new(file)), path.display().to_string())
            };
            let mut sink = SkipHeader {
                inner: &mut *w,
                skipping: i > 0,
            };
            summaries.push(convert(reader, &name, &mut sink)?);
        }
        Ok(summaries)
    })?;
    print_summaries(&summaries);
    Ok(summaries)
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
    convert_files(&a.inputs, &a.output, |r, name, w| convert(r, name, &opts, w))?;
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
    convert_files(&a.inputs, &a.output, |r, name, w| convert(r, name, &opts, w))?;
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn cmd_import_azure(a: AzureArgs) -> Result<ExitCode> {
    use tokensim_import::azure::{convert, AzureOptions};
    tokensim_pricing::Catalog::builtin()
        .resolve(&a.model)
        .context("--model")?;
    let opts = AzureOptions {
        base: a.base.as_deref().map(|b| parse_ts("--base", b)).transpose()?,
        model: a.model.clone(),
        workspace: a.workspace.clone(),
        app: a.app.clone(),
    };
    convert_files(&a.inputs, &a.output, |r, name, w| convert(r, name, &opts, w))?;
    Ok(ExitCode::SUCCESS)
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
        for (i, parts) in [["{\"h\"}\nA\n", ""], ["{\"h", "\"}\nB\n"]].iter().enumerate() {
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
}
