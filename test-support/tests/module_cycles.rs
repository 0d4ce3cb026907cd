//! The house rule "nothing imports back": in every crate of the workspace, the modules that sit
//! side by side (a crate's top-level modules, and the submodules of each module directory) import
//! each other without a cycle. A type and its impl live in one module; what two modules both need
//! goes into a leaf module they both import.
//!
//! Imports are read from the source text: `crate::a…` paths (grouped `use crate::{a, b::c}`
//! included) and names the crate root re-exports (`pub use a::X` in `lib.rs` makes `crate::X` a
//! use of `a`) for the top level; `super::a…` for the submodules of a directory.

use std::{
    collections::{BTreeMap, BTreeSet},
    fs,
    path::{Path, PathBuf},
};

use plaid_idv_test_support::workspace_root;

const CRATES: [&str; 8] =
    [".", "interface", "webhook", "simulator", "host-sim", "test-support", "temporal", "xtask"];

#[test]
fn no_crate_has_a_module_cycle() {
    let mut cycles = Vec::new();
    for krate in CRATES {
        let src = workspace_root().join(krate).join("src");
        let root =
            ["lib.rs", "main.rs"].iter().map(|f| src.join(f)).find(|p| p.is_file()).expect("a crate root");
        let root_text = fs::read_to_string(&root).unwrap();
        let reexports = reexports(&root_text);
        cycles.extend(check_level(krate, &src, &root_text, "crate", &reexports));
    }
    assert!(cycles.is_empty(), "module cycles (A -> B -> … -> A):\n{}", cycles.join("\n"));
}

/// The modules declared in `parent_text` (a crate root or a `mod.rs`/`x.rs` with a directory
/// `dir`), their edges through `prefix` (`crate` or `super`), their cycles, then each module's own
/// submodules, recursively.
fn check_level(
    krate: &str,
    dir: &Path,
    parent_text: &str,
    prefix: &str,
    reexports: &BTreeMap<String, String>,
) -> Vec<String> {
    let modules = declared_modules(parent_text);
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut out = Vec::new();
    for module in &modules {
        let files = module_files(dir, module);
        let mut targets = BTreeSet::new();
        for file in &files {
            let text = strip_comments(&fs::read_to_string(file).unwrap());
            for first in referenced(&text, prefix) {
                let target = if modules.contains(&first) {
                    Some(first)
                } else if prefix == "crate" {
                    reexports.get(&first).cloned()
                } else {
                    None
                };
                if let Some(t) = target.filter(|t| t != module) {
                    targets.insert(t);
                }
            }
        }
        edges.insert(module.clone(), targets);
        // The module's own submodules, when it is a directory.
        if let Some((own_text, own_dir)) = module_root(dir, module) {
            let level = check_level(krate, &own_dir, &own_text, "super", &BTreeMap::new());
            out.extend(level);
        }
    }
    for cycle in find_cycles(&edges) {
        out.push(format!("{krate} {}: {}", dir.display(), cycle.join(" -> ")));
    }
    out
}

/// `mod a;` / `pub mod a;` / `pub(crate) mod a;` declarations (not inline `mod tests { … }`).
fn declared_modules(text: &str) -> BTreeSet<String> {
    strip_comments(text)
        .lines()
        .filter_map(|line| {
            let line = line.trim();
            let rest = line.strip_prefix("pub ").or_else(|| line.strip_prefix("pub(crate) ")).unwrap_or(line);
            let name = rest.strip_prefix("mod ")?.strip_suffix(';')?;
            Some(name.trim().to_owned())
        })
        .collect()
}

/// Every file of a module: `x.rs` or `x/mod.rs`, and everything under `x/`.
fn module_files(dir: &Path, module: &str) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let single = dir.join(format!("{module}.rs"));
    if single.is_file() {
        files.push(single);
    }
    let sub = dir.join(module);
    if sub.is_dir() {
        collect_rs(&sub, &mut files);
    }
    files
}

fn collect_rs(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_rs(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// A module with submodules: its root file's text and its directory.
fn module_root(dir: &Path, module: &str) -> Option<(String, PathBuf)> {
    let sub = dir.join(module);
    if !sub.is_dir() {
        return None;
    }
    let root = [dir.join(format!("{module}.rs")), sub.join("mod.rs")].into_iter().find(|p| p.is_file())?;
    Some((fs::read_to_string(root).unwrap(), sub))
}

/// The crate root's `pub use a::{X, Y}` / `pub use a::X`: name → module.
fn reexports(root: &str) -> BTreeMap<String, String> {
    let text = strip_comments(root);
    let mut map = BTreeMap::new();
    let mut rest = text.as_str();
    while let Some(at) = rest.find("pub use ") {
        rest = &rest[at + "pub use ".len()..];
        let end = rest.find(';').unwrap_or(rest.len());
        let item = &rest[..end];
        if let Some((module, names)) = item.split_once("::") {
            let module = module.trim().to_owned();
            for name in leaf_names(names) {
                map.insert(name, module.clone());
            }
        }
        rest = &rest[end..];
    }
    map
}

/// The last segment of every path in `a::{b, c::D}`-style text (`self` and `*` ignored).
fn leaf_names(text: &str) -> Vec<String> {
    text.split([',', '{', '}'])
        .map(|p| p.trim())
        .filter(|p| !p.is_empty())
        .filter_map(|p| {
            let p = p.split(" as ").next().unwrap_or(p);
            p.rsplit("::").next().map(str::trim).map(str::to_owned)
        })
        .filter(|n| n != "self" && n != "*")
        .collect()
}

/// The first path segment after each `prefix::` (`crate::a::b` → `a`; `crate::{a, b::c}` → `a`, `b`).
fn referenced(text: &str, prefix: &str) -> Vec<String> {
    let needle = format!("{prefix}::");
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find(&needle) {
        // `super::super::x` is a grandparent's module: not this level's.
        let before = &rest[..at];
        rest = &rest[at + needle.len()..];
        if before.ends_with("::") || rest.starts_with("super::") {
            continue;
        }
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 1;
            let mut end = 0;
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            end = i;
                            break;
                        }
                    }
                    _ => {}
                }
            }
            let mut depth = 0;
            let mut item = String::new();
            for c in group[..end].chars().chain([',']) {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        out.push(first_segment(&item));
                        item.clear();
                        continue;
                    }
                    _ => {}
                }
                item.push(c);
            }
        } else {
            out.push(first_segment(rest));
        }
    }
    out.into_iter().filter(|s| !s.is_empty() && s != "self").collect()
}

fn first_segment(text: &str) -> String {
    text.trim().chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect()
}

/// Line comments and doc comments out (they name paths in prose), string contents kept.
fn strip_comments(text: &str) -> String {
    text.lines().map(|l| l.split("//").next().unwrap_or("")).collect::<Vec<_>>().join("\n")
}

/// Every elementary cycle's smallest rotation, once (the graphs here are small).
fn find_cycles(edges: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    let mut found = BTreeSet::new();
    for start in edges.keys() {
        let mut stack = vec![(start.clone(), vec![start.clone()])];
        while let Some((node, path)) = stack.pop() {
            for next in edges.get(&node).into_iter().flatten() {
                if next == start {
                    let mut cycle = path.clone();
                    let min = (0..cycle.len()).min_by_key(|&i| &cycle[i]).unwrap_or(0);
                    cycle.rotate_left(min);
                    cycle.push(cycle[0].clone());
                    found.insert(cycle);
                } else if !path.contains(next) && path.len() < 8 {
                    let mut longer = path.clone();
                    longer.push(next.clone());
                    stack.push((next.clone(), longer));
                }
            }
        }
    }
    found.into_iter().collect()
}

#[test]
fn the_checker_sees_a_cycle_through_a_grouped_import_and_a_reexport() {
    let edges_of = |text: &str| referenced(text, "crate");
    assert_eq!(edges_of("use crate::{a::X, b, c::{d, e}};\nfn f() { crate::g::h(); }"), ["a", "b", "c", "g"]);
    let reexported = reexports("pub use error::{Error, Kind};\npub use load::load;");
    assert_eq!(reexported.get("Kind").map(String::as_str), Some("error"));
    assert_eq!(reexported.get("load").map(String::as_str), Some("load"));
    let edges: BTreeMap<String, BTreeSet<String>> = [
        ("a".to_owned(), ["b".to_owned()].into()),
        ("b".to_owned(), ["c".to_owned()].into()),
        ("c".to_owned(), ["a".to_owned()].into()),
        ("d".to_owned(), ["a".to_owned()].into()),
    ]
    .into();
    assert_eq!(find_cycles(&edges), [["a", "b", "c", "a"].map(String::from).to_vec()]);
}
