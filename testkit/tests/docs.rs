//! Every relative link in the documentation leads somewhere: README.md, ARCHITECTURE.md,
//! conformance/CONTRACT.md, every guide in docs/ and the folders' own READMEs. A link's file must exist and a `#anchor`
//! must name a heading of its Markdown file, by GitHub's rules. External http(s) links are
//! listed, never fetched (tests run without a network). The README's configuration table
//! names every setting.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

/// The workspace root, where the documents live.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("testkit sits in the workspace")
        .to_path_buf()
}

/// The documents whose links are checked: the hand-written ones and every Markdown file in
/// docs/ (the bench's generated reports are left alone).
fn documents() -> Vec<PathBuf> {
    let root = root();
    let mut documents: Vec<PathBuf> = [
        "README.md",
        "ARCHITECTURE.md",
        "conformance/CONTRACT.md",
        "conformance/keys/README.md",
        "deploy/kubernetes/README.md",
        "bench/results/README.md",
    ]
    .iter()
    .map(|path| root.join(path))
    .collect();
    let mut guides: Vec<PathBuf> = std::fs::read_dir(root.join("docs"))
        .expect("docs/ exists")
        .map(|entry| entry.expect("a docs/ entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "md"))
        .collect();
    guides.sort();
    assert!(!guides.is_empty(), "docs/ holds the guides");
    documents.extend(guides);
    documents
}

/// A heading's anchor as GitHub makes it: lower case, spaces to `-`, other punctuation
/// dropped (letters, digits, `-` and `_` kept, in any script).
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            '-' | '_' => Some(c),
            c if c.is_alphanumeric() => Some(c),
            _ => None,
        })
        .collect()
}

/// What one Markdown text holds: its headings' anchors and its links, each with its line.
#[derive(Debug, Default)]
struct Outline {
    anchors: BTreeSet<String>,
    links: Vec<(usize, String)>,
}

/// Reads a Markdown text with a CommonMark parser (GitHub's tables on), so links inside code
/// are not links and reference-style links are resolved.
fn outline(markdown: &str) -> Outline {
    let line_of = |offset: usize| markdown[..offset].matches('\n').count() + 1;
    let mut outline = Outline::default();
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut heading: Option<String> = None;
    for (event, range) in Parser::new_ext(markdown, Options::ENABLE_TABLES).into_offset_iter() {
        match event {
            Event::Start(Tag::Heading { .. }) => heading = Some(String::new()),
            Event::End(TagEnd::Heading(_)) => {
                let base = slug(&heading.take().unwrap_or_default());
                // GitHub numbers repeated headings: `notes`, `notes-1`, `notes-2`.
                let count = seen.entry(base.clone()).or_insert(0);
                let anchor = match *count {
                    0 => base,
                    n => format!("{base}-{n}"),
                };
                *count += 1;
                outline.anchors.insert(anchor);
            }
            Event::Text(text) | Event::Code(text) => {
                if let Some(heading) = heading.as_mut() {
                    heading.push_str(&text);
                }
            }
            Event::Start(Tag::Link { dest_url, .. } | Tag::Image { dest_url, .. }) => {
                outline
                    .links
                    .push((line_of(range.start), dest_url.to_string()));
            }
            _ => {}
        }
    }
    outline
}

/// Whether a link leaves the repository (listed, not checked).
fn is_external(link: &str) -> bool {
    ["http://", "https://", "mailto:"]
        .iter()
        .any(|scheme| link.starts_with(scheme))
}

/// The broken relative links of `markdown`, the file at `path`, as `file:line: link: why`.
fn broken_links(path: &Path, markdown: &str, external: &mut BTreeSet<String>) -> Vec<String> {
    let name = path
        .strip_prefix(root())
        .unwrap_or(path)
        .display()
        .to_string();
    let own = outline(markdown);
    let mut broken = Vec::new();
    for (line, link) in &own.links {
        if is_external(link) {
            external.insert(link.clone());
            continue;
        }
        let (target, anchor) = match link.split_once('#') {
            Some((target, anchor)) => (target, Some(anchor)),
            None => (link.as_str(), None),
        };
        let target_path = path.parent().expect("a document has a folder").join(target);
        if !target.is_empty() && !target_path.exists() {
            broken.push(format!("{name}:{line}: {link}: no such file"));
            continue;
        }
        let Some(anchor) = anchor else { continue };
        let anchors = if target.is_empty() {
            own.anchors.clone()
        } else if target_path.extension().is_some_and(|ext| ext == "md") {
            let text = std::fs::read_to_string(&target_path).expect("a linked Markdown file");
            outline(&text).anchors
        } else {
            broken.push(format!(
                "{name}:{line}: {link}: an anchor into a file that is not Markdown"
            ));
            continue;
        };
        if !anchors.contains(anchor) {
            broken.push(format!(
                "{name}:{line}: {link}: no heading has the anchor #{anchor}"
            ));
        }
    }
    broken
}

/// The first cell of every body row of every table in `markdown`, where it is code.
fn first_cells(markdown: &str) -> BTreeSet<String> {
    let mut cells = BTreeSet::new();
    let (mut in_body_row, mut column) = (false, 0);
    for event in Parser::new_ext(markdown, Options::ENABLE_TABLES) {
        match event {
            Event::Start(Tag::TableRow) => (in_body_row, column) = (true, 0),
            Event::End(TagEnd::TableRow | TagEnd::TableHead) => in_body_row = false,
            Event::End(TagEnd::TableCell) => column += 1,
            Event::Code(code) if in_body_row && column == 0 => {
                cells.insert(code.to_string());
            }
            _ => {}
        }
    }
    cells
}

#[test]
fn the_readme_lists_every_environment_variable() {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README.md");
    let listed: BTreeSet<String> = first_cells(&readme)
        .into_iter()
        .filter(|cell| cell.chars().all(|c| c.is_ascii_uppercase() || c == '_'))
        .collect();
    // `RUST_LOG` is read by the log filter, not by a setting.
    let mut read: BTreeSet<String> = server_runtime::Args::environment_variables()
        .into_iter()
        .collect();
    read.insert("RUST_LOG".to_owned());
    let missing: Vec<&String> = read.difference(&listed).collect();
    let unknown: Vec<&String> = listed.difference(&read).collect();
    assert!(
        missing.is_empty() && unknown.is_empty(),
        "README.md's configuration tables must list exactly the variables the server reads; \
         missing: {missing:?}, read by nothing: {unknown:?}"
    );
}

#[test]
fn every_relative_link_and_anchor_in_the_docs_resolves() {
    let mut external = BTreeSet::new();
    let mut broken = Vec::new();
    for document in documents() {
        let markdown = std::fs::read_to_string(&document).expect("a document");
        broken.extend(broken_links(&document, &markdown, &mut external));
    }
    // External links cannot be fetched here; list them for a reader with a network.
    println!("external links (not fetched):");
    for link in &external {
        println!("  {link}");
    }
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

#[test]
fn a_missing_file_or_heading_is_reported() {
    // A document in docs/, so its relative links resolve from there.
    let path = root().join("docs").join("example.md");
    let markdown = "# Quick start\n\n\
        [fine](#quick-start) [also fine](../README.md#configuration)\n\
        [gone](missing.md) [no heading](#quick-stop) [not in README](../README.md#nowhere)\n\
        [outside](https://example.com/) `[in code](missing.md)`\n";
    let mut external = BTreeSet::new();
    let broken = broken_links(&path, markdown, &mut external);
    assert_eq!(
        broken,
        [
            "docs/example.md:4: missing.md: no such file",
            "docs/example.md:4: #quick-stop: no heading has the anchor #quick-stop",
            "docs/example.md:4: ../README.md#nowhere: no heading has the anchor #nowhere",
        ]
    );
    assert_eq!(
        external.into_iter().collect::<Vec<_>>(),
        ["https://example.com/"]
    );
}

#[test]
fn anchors_follow_githubs_rules() {
    let markdown = "# What the engines answer themselves\n\
        ## LiveKit standard endpoint: `POST /livekit/token`\n\
        ## Levels, profiles, CI\n\
        ## Notes\n## Notes\n## Zoé's café\n";
    let anchors: Vec<String> = outline(markdown).anchors.into_iter().collect();
    assert_eq!(
        anchors,
        [
            "levels-profiles-ci",
            "livekit-standard-endpoint-post-livekittoken",
            "notes",
            "notes-1",
            "what-the-engines-answer-themselves",
            "zoés-café",
        ]
    );
}
