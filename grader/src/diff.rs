//! A line diff for snapshot mismatches: `-` the snapshot, `+` what the boot
//! printed, with a few unchanged lines around each change.

const CONTEXT: usize = 2;
/// Diff lines shown at most; the rest is counted.
const MAX_LINES: usize = 40;

#[derive(Debug, PartialEq)]
enum Op<'a> {
    Same(&'a str),
    Gone(&'a str),
    New(&'a str),
}

/// The longest common subsequence, by dynamic programming: transcripts are a
/// few dozen lines, so the quadratic table is small.
fn ops<'a>(old: &[&'a str], new: &[&'a str]) -> Vec<Op<'a>> {
    let (n, m) = (old.len(), new.len());
    let mut lcs = vec![vec![0usize; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if old[i] == new[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j, mut out) = (0, 0, Vec::new());
    while i < n || j < m {
        if i < n && j < m && old[i] == new[j] {
            out.push(Op::Same(old[i]));
            (i, j) = (i + 1, j + 1);
        } else if i < n && (j == m || lcs[i + 1][j] >= lcs[i][j + 1]) {
            out.push(Op::Gone(old[i]));
            i += 1;
        } else {
            out.push(Op::New(new[j]));
            j += 1;
        }
    }
    out
}

/// The diff of `expected` against `actual`, or None when they are equal.
pub fn lines(expected: &str, actual: &str) -> Option<String> {
    let old: Vec<&str> = expected.lines().collect();
    let new: Vec<&str> = actual.lines().collect();
    let ops = ops(&old, &new);
    if ops.iter().all(|o| matches!(o, Op::Same(_))) {
        return None;
    }
    let near_change = |k: usize| {
        let lo = k.saturating_sub(CONTEXT);
        let hi = (k + CONTEXT + 1).min(ops.len());
        ops[lo..hi].iter().any(|o| !matches!(o, Op::Same(_)))
    };
    let mut out = vec!["-snapshot".to_string(), "+this run".to_string()];
    let mut skipped = false;
    for (k, op) in ops.iter().enumerate() {
        let line = match op {
            Op::Same(l) if near_change(k) => format!(" {l}"),
            Op::Same(_) => {
                if !skipped {
                    out.push(" ...".into());
                }
                skipped = true;
                continue;
            }
            Op::Gone(l) => format!("-{l}"),
            Op::New(l) => format!("+{l}"),
        };
        skipped = false;
        out.push(line);
    }
    if out.len() > MAX_LINES {
        let more = out.len() - MAX_LINES;
        out.truncate(MAX_LINES);
        out.push(format!("[... {more} more diff lines]"));
    }
    Some(out.join("\n"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn equal_texts_have_no_diff() {
        assert_eq!(super::lines("a\nb\n", "a\nb"), None);
    }

    #[test]
    fn a_changed_line_shows_as_minus_and_plus_with_context() {
        let old = "1\n2\n3\n4\n5\n6\n7\n8\n";
        let new = "1\n2\n3\n4\nfive\n6\n7\n8\n";
        let d = super::lines(old, new).unwrap();
        assert_eq!(d, "-snapshot\n+this run\n ...\n 3\n 4\n-5\n+five\n 6\n 7\n ...");
    }

    #[test]
    fn missing_and_extra_lines() {
        let d = super::lines("a\nb\nc\n", "a\nc\nd\n").unwrap();
        assert_eq!(d, "-snapshot\n+this run\n a\n-b\n c\n+d");
    }
}
