//! A class too large for one machine: `--shard I/N` grades the I-th of N
//! slices of the class, and `cargo grade merge` joins the slices' JSON
//! reports back into the results of one whole run.
//!
//! The slices are dealt like cards: in the class's order (sorted by
//! directory name), student k goes to shard k mod N. Every shard therefore
//! knows its students without talking to the others, the shards differ in
//! size by one student at most, and the merge can put every student back in
//! its place from the shard's number alone.

use crate::verdict::Submission;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::str::FromStr;

/// `I/N`: the I-th (counting from 1) of N slices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl FromStr for Shard {
    type Err = String;

    fn from_str(s: &str) -> Result<Shard, String> {
        let bad = || format!("{s:?}: want I/N, e.g. 2/3, with 1 <= I <= N");
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let (index, count) = (i.parse().map_err(|_| bad())?, n.parse().map_err(|_| bad())?);
        if index == 0 || index > count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

/// What a shard's JSON report says about its slice, so that the merge can
/// tell a missing, repeated or foreign shard from a complete set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Slice {
    pub index: usize,
    pub count: usize,
    /// Students in the whole class, all shards together.
    pub class_size: usize,
}

/// The students of `shard` among the whole class `members`, in class order,
/// and the slice they make up; without a shard, the whole class.
pub fn select<T>(members: Vec<T>, shard: Option<Shard>) -> (Vec<T>, Option<Slice>) {
    let Some(Shard { index, count }) = shard else { return (members, None) };
    let slice = Slice { index, count, class_size: members.len() };
    let mine = members.into_iter().skip(index - 1).step_by(count).collect();
    (mine, Some(slice))
}

/// The JSON report: the whole run's, plus the slice when this is a shard.
pub fn json(subs: &[Submission], slice: Option<&Slice>) -> String {
    let text = crate::report::json(subs);
    let Some(slice) = slice else { return text };
    let mut value: serde_json::Value =
        serde_json::from_str(&text).expect("the report is valid JSON");
    value["shard"] = serde_json::to_value(slice).expect("plain data serializes");
    serde_json::to_string_pretty(&value).expect("plain data serializes") + "\n"
}

#[derive(Deserialize)]
struct Report {
    shard: Option<Slice>,
    submissions: Vec<Submission>,
}

/// Reads the JSON reports of all the shards of one class and returns the
/// class's submissions in the order a whole run grades them. Refuses a set
/// that is not every shard exactly once, or whose pieces differ.
pub fn merge(files: &[PathBuf]) -> Result<Vec<Submission>, String> {
    let mut reports = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(f).map_err(|e| format!("{}: {e}", f.display()))?;
        let report: Report = serde_json::from_str(&text)
            .map_err(|e| format!("{}: not a `cargo grade --json` report: {e}", f.display()))?;
        let slice = report.shard.unwrap_or(Slice {
            index: 1,
            count: 1,
            class_size: report.submissions.len(),
        });
        reports.push((f, slice, report.submissions));
    }
    let (_, first, _) = reports.first().ok_or("no reports to merge")?;
    let (count, class_size) = (first.count, first.class_size);
    let mut shards: Vec<Option<Vec<Submission>>> = vec![None; count];
    for (file, slice, subs) in reports {
        if slice.index == 0 || slice.index > slice.count {
            return Err(format!(
                "{}: no such shard {}/{}",
                file.display(),
                slice.index,
                slice.count
            ));
        }
        if (slice.count, slice.class_size) != (count, class_size) {
            return Err(format!(
                "{}: shard {}/{} of a class of {}, but the first report is one of {count} shards of a class of {class_size}",
                file.display(),
                slice.index,
                slice.count,
                slice.class_size
            ));
        }
        let want = (slice.index - 1..class_size).step_by(count).count();
        if subs.len() != want {
            return Err(format!(
                "{}: shard {}/{count} has {} students, but that slice of a class of {class_size} has {want}",
                file.display(),
                slice.index,
                subs.len()
            ));
        }
        let place = &mut shards[slice.index - 1];
        if place.is_some() {
            return Err(format!("{}: shard {}/{count} given twice", file.display(), slice.index));
        }
        *place = Some(subs);
    }
    let missing: Vec<String> =
        (1..=count).filter(|i| shards[i - 1].is_none()).map(|i| format!("{i}/{count}")).collect();
    if !missing.is_empty() {
        return Err(format!(
            "missing shard {}: its students would have no grade",
            missing.join(", ")
        ));
    }
    let mut columns: Vec<_> = shards.into_iter().flatten().map(Vec::into_iter).collect();
    let class: Vec<Submission> =
        (0..class_size).filter_map(|k| columns[k % count].next()).collect();
    same_pieces(&class)?;
    Ok(class)
}

/// Shards graded with different rubrics or `--piece` lists cannot share a table.
fn same_pieces(class: &[Submission]) -> Result<(), String> {
    let pieces = |s: &Submission| s.pieces.iter().map(|p| p.piece.clone()).collect::<Vec<_>>();
    let Some(first) = class.first() else { return Ok(()) };
    match class.iter().find(|s| pieces(s) != pieces(first)) {
        Some(other) => Err(format!(
            "{} was graded on the pieces {:?} but {} on {:?}: grade every shard with the same course and --piece options",
            first.student,
            pieces(first),
            other.student,
            pieces(other)
        )),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verdict::{Item, Kind, PieceScore};

    fn student(name: &str, piece: &str) -> Submission {
        let item = Item::new("t", Kind::Test, 2, "hint", Ok(()));
        let piece = PieceScore {
            piece: piece.into(),
            chapter: "c.md".into(),
            items: vec![item],
            note: None,
        };
        let pieces = vec![piece];
        Submission {
            student: name.into(),
            pieces,
            timings: vec![],
            errors: vec![],
            warnings: vec![],
        }
    }

    /// Grades nothing: deals `names` into `n` shards and writes each
    /// shard's report, as `--class DIR --shard I/N --json FILE` would.
    fn shard_reports(names: &[&str], n: usize, dir: &std::path::Path) -> Vec<PathBuf> {
        (1..=n)
            .map(|i| {
                let (mine, slice) = select(names.to_vec(), Some(Shard { index: i, count: n }));
                let subs: Vec<Submission> = mine.iter().map(|s| student(s, "fork")).collect();
                let file = dir.join(format!("shard-{i}.json"));
                std::fs::write(&file, json(&subs, slice.as_ref())).unwrap();
                file
            })
            .collect()
    }

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("grader-shard-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn shards_parse_from_i_over_n() {
        assert_eq!("2/3".parse(), Ok(Shard { index: 2, count: 3 }));
        assert_eq!("1/1".parse(), Ok(Shard { index: 1, count: 1 }));
        for bad in ["0/3", "4/3", "1/0", "1", "a/b", "1/2/3", "-1/2", ""] {
            assert!(bad.parse::<Shard>().is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn shards_are_dealt_in_turn_and_cover_the_class_once() {
        let class: Vec<u32> = (0..7).collect();
        let slices: Vec<Vec<u32>> =
            (1..=3).map(|i| select(class.clone(), Some(Shard { index: i, count: 3 })).0).collect();
        assert_eq!(slices, [vec![0, 3, 6], vec![1, 4], vec![2, 5]]);
        let (_, slice) = select(class.clone(), Some(Shard { index: 2, count: 3 }));
        assert_eq!(slice, Some(Slice { index: 2, count: 3, class_size: 7 }));
        assert_eq!(select(class.clone(), None), (class, None));
        let (empty, _) = select(vec![1, 2], Some(Shard { index: 3, count: 3 }));
        assert!(empty.is_empty(), "more shards than students leaves some empty");
    }

    #[test]
    fn merging_puts_every_student_back_in_class_order() {
        let dir = scratch("order");
        let names = ["ann", "bob", "cat", "dan", "eve", "fay", "gus"];
        let mut files = shard_reports(&names, 3, &dir);
        files.reverse();
        let merged = merge(&files).unwrap();
        let got: Vec<&str> = merged.iter().map(|s| s.student.as_str()).collect();
        assert_eq!(got, names);
        // A whole run's report (no shard) merges as the one shard of itself.
        let whole = dir.join("whole.json");
        let subs: Vec<Submission> = names.iter().map(|s| student(s, "fork")).collect();
        std::fs::write(&whole, json(&subs, None)).unwrap();
        assert_eq!(merge(&[whole]).unwrap().len(), names.len());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn merging_refuses_a_missing_repeated_or_foreign_shard() {
        let dir = scratch("refuse");
        let names = ["ann", "bob", "cat", "dan", "eve"];
        let files = shard_reports(&names, 3, &dir);
        let err = merge(&files[..2]).unwrap_err();
        assert!(err.contains("missing shard 3/3"), "{err}");
        let err = merge(&[files[0].clone(), files[1].clone(), files[1].clone()]).unwrap_err();
        assert!(err.contains("given twice"), "{err}");
        let other = scratch("refuse-other");
        let foreign = shard_reports(&names[..4], 3, &other);
        let err = merge(&[files[0].clone(), files[1].clone(), foreign[2].clone()]).unwrap_err();
        assert!(err.contains("class of 4"), "{err}");
        // A shard whose report lost a student.
        let (mine, slice) = select(names.to_vec(), Some(Shard { index: 1, count: 3 }));
        let short: Vec<Submission> = mine[..1].iter().map(|s| student(s, "fork")).collect();
        std::fs::write(&files[0], json(&short, slice.as_ref())).unwrap();
        let err = merge(&files).unwrap_err();
        assert!(err.contains("has 1 students"), "{err}");
        // Shards graded on different pieces.
        let (mine, slice) = select(names.to_vec(), Some(Shard { index: 1, count: 3 }));
        let odd: Vec<Submission> = mine.iter().map(|s| student(s, "exec")).collect();
        std::fs::write(&files[0], json(&odd, slice.as_ref())).unwrap();
        let err = merge(&files).unwrap_err();
        assert!(err.contains("same course and --piece"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
        std::fs::remove_dir_all(&other).unwrap();
    }
}
