//! The libraries' parts depend on each other one way. In `token-core`, `server-runtime` and
//! `conformance`, each top-level module or folder of `src` is a node: no import cycle among
//! them, and no module reaching a sibling back through the crate root's re-exports.
//! Run: `cargo test -p testkit --test layout`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Each top-level module of `src` (a file, or a folder with everything in it) and the
/// top-level modules its non-test code names through `crate::`.
fn module_graph(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut pending = vec![src.to_path_buf()];
    while let Some(path) = pending.pop() {
        for entry in std::fs::read_dir(&path).expect("read src") {
            let path = entry.expect("an entry").path();
            if path.is_dir() {
                pending.push(path);
                continue;
            }
            if path.extension().is_none_or(|ext| ext != "rs") {
                continue;
            }
            let relative = path.strip_prefix(src).expect("below src");
            let first = relative.components().next().expect("a component");
            let module = first
                .as_os_str()
                .to_string_lossy()
                .trim_end_matches(".rs")
                .to_owned();
            if module == "lib" || module == "main" {
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("read a module");
            let code = text.split("#[cfg(test)]").next().unwrap_or_default();
            let names = graph.entry(module.clone()).or_default();
            for (at, _) in code.match_indices("crate::") {
                let rest = &code[at + "crate::".len()..];
                // `crate::a::...` names one module, `crate::{a, b::C}` several.
                let named: Vec<&str> = match rest.strip_prefix('{') {
                    Some(group) => group
                        .split('}')
                        .next()
                        .unwrap_or_default()
                        .split(',')
                        .map(str::trim)
                        .collect(),
                    None => vec![rest],
                };
                for item in named {
                    let name: String = item
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                        .collect();
                    assert!(
                        !name.starts_with(|c: char| c.is_ascii_uppercase()),
                        "{} reaches `crate::{name}` through the crate root; import it from its \
                         module",
                        path.display()
                    );
                    if !name.is_empty() && name != module {
                        names.insert(name);
                    }
                }
            }
        }
    }
    for (module, names) in &graph {
        for name in names {
            assert!(
                graph.contains_key(name),
                "{module} names `crate::{name}`, which is not a module of {} (a re-export at \
                 the crate root?)",
                src.display()
            );
        }
    }
    graph
}

/// A cycle in `graph`, if there is one, as the modules along it.
fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        module: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(start) = path.iter().position(|m| m == module) {
            let mut cycle = path[start..].to_vec();
            cycle.push(module.to_owned());
            return Some(cycle);
        }
        if !done.insert(module.to_owned()) {
            return None;
        }
        path.push(module.to_owned());
        for next in graph.get(module).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|module| visit(module, graph, &mut Vec::new(), &mut done))
}

/// The crates checked, and the fewest top-level modules each must show (so a moved `src`
/// cannot pass by holding nothing).
const CRATES: [(&str, usize); 3] = [
    ("token-core", 5),
    ("server-runtime", 6),
    ("conformance", 10),
];

#[test]
fn no_library_has_an_import_cycle() {
    for (name, fewest) in CRATES {
        let src = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join(name)
            .join("src");
        let graph = module_graph(&src);
        assert!(
            graph.len() >= fewest,
            "{name}: too few modules found: {graph:?}"
        );
        assert_eq!(find_cycle(&graph), None, "{name}: {graph:#?}");
    }
}

#[test]
fn a_cycle_is_found_when_there_is_one() {
    let edges = [
        ("runner", "scenario"),
        ("scenario", "error"),
        ("error", "runner"),
    ];
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (from, to) in edges {
        graph.entry(from.into()).or_default().insert(to.into());
    }
    let cycle = find_cycle(&graph).expect("the cycle");
    assert_eq!(cycle.first(), cycle.last(), "{cycle:?}");
    assert_eq!(cycle.len(), 4, "{cycle:?}");
}
