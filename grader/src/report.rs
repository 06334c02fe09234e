//! Everything the grader writes: the report for people, the class table and
//! CSV, JSON, and JUnit XML.

use crate::verdict::{Kind, PieceScore, Submission};
use std::fmt::Write;

fn indent(text: &str, by: &str) -> String {
    text.lines().map(|l| format!("{by}{l}")).collect::<Vec<_>>().join("\n")
}

fn kind(k: Kind) -> &'static str {
    match k {
        Kind::Test => "test",
        Kind::Scenario => "scenario",
    }
}

/// The table of pieces, then every failure with what was expected, what
/// happened, the hint and the chapter, then the time each phase took.
pub fn submission(sub: &Submission) -> String {
    let mut out = String::new();
    let width = sub.pieces.iter().map(|p| p.piece.len()).max().unwrap_or(5).max(5);
    let _ = writeln!(out, "{:width$}  {:>7}  {:>9}", "piece", "passed", "points");
    for p in &sub.pieces {
        let passed = format!("{}/{}", p.passed(), p.items.len());
        let points = format!("{}/{}", p.points(), p.max());
        let _ = writeln!(out, "{:width$}  {passed:>7}  {points:>9}", p.piece);
    }
    let total = format!("{}/{}", sub.points(), sub.max());
    let _ = writeln!(out, "{:width$}  {:>7}  {total:>9}  ({:.1}%)", "total", "", sub.percent());
    for p in &sub.pieces {
        out.push_str(&failures(p));
    }
    for w in &sub.warnings {
        let _ = writeln!(out, "\nnote: {w}");
    }
    for e in &sub.errors {
        let _ = writeln!(out, "\nGRADER ERROR: {e}");
    }
    if !sub.timings.is_empty() {
        let phases: Vec<String> =
            sub.timings.iter().map(|(phase, s)| format!("{phase} {s:.1} s")).collect();
        let _ = writeln!(out, "\ntime: {}", phases.join(", "));
    }
    out
}

fn failures(p: &PieceScore) -> String {
    let mut out = String::new();
    if let Some(note) = &p.note {
        let _ = writeln!(out, "\n{}: {}", p.piece, indent(note, "    ").trim_start());
    }
    for i in p.items.iter().filter(|i| !i.passed) {
        let _ = writeln!(out, "\nFAIL {} {} `{}` (0/{})", p.piece, kind(i.kind), i.name, i.max);
        let _ = writeln!(out, "{}", indent(&i.detail, "    "));
        let _ = writeln!(out, "    hint: {}", i.hint);
        let _ = writeln!(out, "    read: book/src/{}", p.chapter);
    }
    out
}

/// One row per student, one column per piece, the total and the percentage.
pub fn class_table(subs: &[Submission]) -> String {
    let Some(first) = subs.first() else { return "no submissions\n".into() };
    let width = subs.iter().map(|s| s.student.len()).max().unwrap_or(7).max(7);
    let pieces: Vec<&str> = first.pieces.iter().map(|p| p.piece.as_str()).collect();
    let mut out = format!("{:width$}", "student");
    for p in &pieces {
        let _ = write!(out, "  {p:>w$}", w = p.len().max(5));
    }
    out.push_str("    total       %\n");
    for s in subs {
        let _ = write!(out, "{:width$}", s.student);
        for (p, name) in s.pieces.iter().zip(&pieces) {
            let _ = write!(
                out,
                "  {:>w$}",
                format!("{}/{}", p.points(), p.max()),
                w = name.len().max(5)
            );
        }
        let _ =
            writeln!(out, "  {:>7}  {:>6.1}", format!("{}/{}", s.points(), s.max()), s.percent());
    }
    out
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

pub fn class_csv(subs: &[Submission]) -> String {
    let Some(first) = subs.first() else { return String::new() };
    let mut out = String::from("student");
    for p in &first.pieces {
        let _ = write!(out, ",{}", csv_field(&p.piece));
    }
    out.push_str(",total,max,percent\n");
    for s in subs {
        out.push_str(&csv_field(&s.student));
        for p in &s.pieces {
            let _ = write!(out, ",{}", p.points());
        }
        let _ = writeln!(out, ",{},{},{:.1}", s.points(), s.max(), s.percent());
    }
    out
}

pub fn json(subs: &[Submission]) -> String {
    #[derive(serde::Serialize)]
    struct Row<'a> {
        #[serde(flatten)]
        sub: &'a Submission,
        points: u32,
        max: u32,
        percent: f64,
    }
    let rows: Vec<Row> = subs
        .iter()
        .map(|s| Row { sub: s, points: s.points(), max: s.max(), percent: s.percent() })
        .collect();
    serde_json::to_string_pretty(&serde_json::json!({ "submissions": rows }))
        .expect("plain data serializes")
        + "\n"
}

fn xml(s: &str) -> String {
    s.chars()
        .filter(|c| *c == '\n' || *c == '\t' || !c.is_control())
        .map(|c| match c {
            '&' => "&amp;".into(),
            '<' => "&lt;".into(),
            '>' => "&gt;".into(),
            '"' => "&quot;".into(),
            c => c.to_string(),
        })
        .collect()
}

/// One testsuite per student and piece, one testcase per rubric entry.
pub fn junit(subs: &[Submission]) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n");
    for s in subs {
        for p in &s.pieces {
            let failed = p.items.len() - p.passed();
            let _ = writeln!(
                out,
                "  <testsuite name=\"{}/{}\" tests=\"{}\" failures=\"{failed}\">",
                xml(&s.student),
                xml(&p.piece),
                p.items.len()
            );
            for i in &p.items {
                let name = format!("{} {}", kind(i.kind), i.name);
                let _ = write!(
                    out,
                    "    <testcase classname=\"{}\" name=\"{}\"",
                    xml(&p.piece),
                    xml(&name)
                );
                if i.passed {
                    out.push_str("/>\n");
                } else {
                    let _ = writeln!(
                        out,
                        ">\n      <failure message=\"0/{} points\">{}\n\nhint: {}</failure>\n    </testcase>",
                        i.max,
                        xml(&i.detail),
                        xml(&i.hint)
                    );
                }
            }
            out.push_str("  </testsuite>\n");
        }
    }
    out.push_str("</testsuites>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verdict::Item;

    fn sample() -> Submission {
        let items = vec![
            Item::new("good", Kind::Test, 2, "h1", Ok(())),
            Item::new("bad", Kind::Scenario, 3, "look <here>", Err("timed out after 15 s".into())),
        ];
        let piece = PieceScore {
            piece: "fork".into(),
            chapter: "kernel/fork.md".into(),
            items,
            note: None,
        };
        Submission {
            student: "ann, b".into(),
            pieces: vec![piece],
            timings: vec![("boots".into(), 1.25)],
            errors: vec![],
            warnings: vec!["lab code wrote here".into()],
        }
    }

    #[test]
    fn the_report_shows_scores_failures_hints_and_times() {
        let r = submission(&sample());
        assert!(r.contains("fork       1/2        2/5"), "{r}");
        assert!(r.contains("FAIL fork scenario `bad` (0/3)\n    timed out after 15 s\n    hint: look <here>\n    read: book/src/kernel/fork.md"), "{r}");
        assert!(r.contains("time: boots 1.2 s") || r.contains("time: boots 1.3 s"), "{r}");
        assert!(r.contains("\nnote: lab code wrote here\n"), "{r}");
    }

    #[test]
    fn csv_quotes_and_totals() {
        assert_eq!(
            class_csv(&[sample()]),
            "student,fork,total,max,percent\n\"ann, b\",2,2,5,40.0\n"
        );
    }

    #[test]
    fn junit_escapes_and_counts_failures() {
        let x = junit(&[sample()]);
        assert!(x.contains("<testsuite name=\"ann, b/fork\" tests=\"2\" failures=\"1\">"), "{x}");
        assert!(x.contains("hint: look &lt;here&gt;</failure>"), "{x}");
    }

    #[test]
    fn json_has_the_totals() {
        let v: serde_json::Value = serde_json::from_str(&json(&[sample()])).unwrap();
        assert_eq!(v["submissions"][0]["points"], 2);
        assert_eq!(v["submissions"][0]["pieces"][0]["items"][1]["passed"], false);
    }
}
