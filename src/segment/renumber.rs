//! Section numbers misread by OCR, repaired from their neighbours (a profile's `repair_numbers`).
//!
//! A scanned Bill converted to text has `16.` where `46.` is printed (the `4` read as `1`), `54.`
//! for `50.`, and a numbered list item (`6. Requirements for …`) that looks like a section start.
//! The sections that are in order are the longest increasing run of numbers through the document;
//! between two of them, `a` and `b`, the free numbers are `a+1 … b-1`. The sections out of order in
//! that gap take those numbers: all of them in order when there are as many as free numbers, else
//! those whose last digit is the free number's (a misread leading digit), in order; one that fits
//! no free number is no section start and goes back into the passage before it. Nothing outside
//! such a gap changes (the document's first and last numbers are trusted).
//!
//! A gap with free numbers and no section in it (`33`, `35`) may hold sections whose number the
//! OCR lost: with the profile's `unnumbered` pattern, the first lines of the passage before that
//! read as a caption (`Unlawful on-line content-(1)`) take the free numbers, in order, each with
//! the lines after it.

use std::collections::HashSet;

use regex::Regex;

use super::{slugify, Passage, MAX_PASSAGE_BYTES};

/// The most free numbers a gap between two sections in sequence may have to be repaired: more is
/// no misread digit or lost section (a number like `666666660` read from noise), and the gap is
/// left alone — its free numbers were collected, ~2.6 GB for that one (found by fuzzing).
const MAX_GAP: u32 = 1000;

/// Numbered sections beyond which a document is not repaired: the longest increasing run is found
/// in quadratic time, and the scanned Bills this is for have tens of sections, not thousands.
const MAX_SECTIONS: usize = 5000;

/// `s. 46` → (`s. `, 46, ``), `s. 49A` → (`s. `, 49, `A`); `s. 2(1)`, `Preamble`: none.
fn parse(citation: &str) -> Option<(&str, u32, &str)> {
    let start = citation.find(|c: char| c.is_ascii_digit())?;
    let (pre, rest) = citation.split_at(start);
    if pre.chars().any(|c| c.is_ascii_digit()) {
        return None;
    }
    let end = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    let (num, suf) = rest.split_at(end);
    if suf.len() > 2 || !suf.chars().all(|c| c.is_ascii_uppercase()) {
        return None;
    }
    Some((pre, num.parse().ok()?, suf))
}

/// Repair the numbering of one stream's passages in place (see the module docs).
pub fn repair(passages: &mut Vec<Passage>, unnumbered: Option<&Regex>) {
    // The numbered provisions: (index, number, suffix), with one citation prefix (the first's).
    let mut prefix: Option<String> = None;
    let mut items: Vec<(usize, u32, String)> = Vec::new();
    for (i, p) in passages.iter().enumerate() {
        if let Some((pre, n, suf)) = parse(&p.citation) {
            let pre = pre.to_string();
            if prefix.get_or_insert_with(|| pre.clone()) == &pre {
                items.push((i, n, suf.to_string()));
            }
        }
    }
    let Some(prefix) = prefix else {
        return;
    };
    if items.len() < 3 || items.len() > MAX_SECTIONS {
        return;
    }
    // The longest strictly increasing chain by (number, suffix); ties end as late as possible.
    let key = |k: usize| (items[k].1, items[k].2.as_str());
    let n = items.len();
    let mut len = vec![1usize; n];
    let mut back = vec![usize::MAX; n];
    for j in 0..n {
        for i in 0..j {
            if key(i) < key(j) && len[i] + 1 >= len[j] {
                len[j] = len[i] + 1;
                back[j] = i;
            }
        }
    }
    let mut end = 0;
    for j in 0..n {
        if len[j] >= len[end] {
            end = j;
        }
    }
    let mut chain = vec![end];
    while back[*chain.last().unwrap()] != usize::MAX {
        chain.push(back[*chain.last().unwrap()]);
    }
    chain.reverse();
    // Per gap between chained neighbours: new numbers, or a merge into the passage before.
    let mut renumber: Vec<(usize, u32)> = Vec::new();
    let mut merge: HashSet<usize> = HashSet::new();
    // Passages to cut at lines that are lost sections' captions: (passage index, free numbers).
    let mut lost: Vec<(usize, Vec<u32>)> = Vec::new();
    // Unnumbered paragraphs between two sections in sequence with numbers free between them (a
    // Chapter heading ended the section before, so they became `¶ N`): the lost sections.
    let mut prose: Vec<(Vec<usize>, Vec<u32>)> = Vec::new();
    for w in chain.windows(2) {
        let (a, b) = (w[0], w[1]);
        if items[b].1 - items[a].1 > MAX_GAP {
            continue;
        }
        if b == a + 1 {
            if items[a].2.is_empty() && items[b].2.is_empty() && items[b].1 > items[a].1 + 1 {
                let free: Vec<u32> = (items[a].1 + 1..items[b].1).collect();
                let between: Vec<usize> = (items[a].0 + 1..items[b].0).collect();
                if between.is_empty() {
                    lost.push((items[a].0, free));
                } else if between
                    .iter()
                    .all(|&i| passages[i].citation.starts_with('¶'))
                {
                    prose.push((between, free));
                }
            }
            continue;
        }
        let out: Vec<usize> = (a + 1..b).collect();
        let free: Vec<u32> = (items[a].1 + 1..items[b].1).collect();
        if out.iter().any(|&k| !items[k].2.is_empty()) {
            continue;
        }
        if out.len() == free.len() {
            renumber.extend(out.iter().zip(&free).map(|(&k, &f)| (k, f)));
            continue;
        }
        let mut slot = 0;
        let mut taken = Vec::new();
        for &k in &out {
            if slot < free.len() && items[k].1 % 10 == free[slot] % 10 {
                taken.push((k, free[slot]));
                slot += 1;
            } else if let Some(s) = free[slot.min(free.len())..]
                .iter()
                .position(|f| f % 10 == items[k].1 % 10)
            {
                slot += s;
                taken.push((k, free[slot]));
                slot += 1;
            } else {
                taken.push((k, 0));
            }
        }
        // Only when every unplaced one stands where no free number is left (a list item).
        if out.len() > free.len() {
            for (k, f) in taken {
                if f == 0 {
                    merge.insert(items[k].0);
                } else {
                    renumber.push((k, f));
                }
            }
        }
    }
    let mut ids: HashSet<String> = passages.iter().map(|p| p.passage_id.clone()).collect();
    for (k, f) in renumber {
        let p = &mut passages[items[k].0];
        let new_cite = format!("{prefix}{f}");
        let parent = p
            .passage_id
            .rsplit_once('/')
            .map(|(d, _)| d.to_string())
            .unwrap_or_default();
        let mut id = format!("{parent}/{}", slugify(&f.to_string()));
        let mut k = 2;
        while ids.contains(&id) {
            id = format!("{parent}/{}_{k}", slugify(&f.to_string()));
            k += 1;
        }
        ids.remove(&p.passage_id);
        ids.insert(id.clone());
        p.passage_id = id;
        p.citation = new_cite;
    }
    let mut cuts: std::collections::HashMap<usize, Vec<Passage>> = Default::default();
    if let Some(re) = unnumbered {
        for (between, free) in prose {
            for (k, i) in between.into_iter().enumerate() {
                let Some(&num) = free.get(k) else {
                    merge.insert(i);
                    continue;
                };
                let p = &mut passages[i];
                let first = p.text.lines().next().unwrap_or("").trim().to_string();
                match re.captures(&first) {
                    Some(c) if c.name("caption").is_some() => {
                        p.heading = c["caption"].trim().to_string();
                        let rest = c.name("rest").map_or("", |m| m.as_str()).trim();
                        let after = p.text.split_once('\n').map_or("", |(_, r)| r);
                        p.text = [rest, after]
                            .iter()
                            .filter(|x| !x.is_empty())
                            .copied()
                            .collect::<Vec<_>>()
                            .join("\n");
                    }
                    _ if re.is_match(p.heading.trim()) => {
                        p.heading = p.heading.trim().trim_end_matches('.').to_string();
                    }
                    _ => continue,
                }
                let parent = p
                    .passage_id
                    .rsplit_once('/')
                    .map(|(d, _)| d.to_string())
                    .unwrap_or_default();
                let id = format!("{parent}/{}", slugify(&num.to_string()));
                if ids.insert(id.clone()) {
                    p.passage_id = id;
                    p.citation = format!("{prefix}{num}");
                }
            }
        }
        for (i, free) in lost {
            let found = cut_lost(&passages[i], &free, re, &prefix, &mut ids);
            if let Some((head, tail)) = found {
                passages[i].text = head;
                cuts.insert(i, tail);
            }
        }
    }
    let mut out: Vec<Passage> = Vec::with_capacity(passages.len());
    for (i, p) in std::mem::take(passages).into_iter().enumerate() {
        if let Some(tail) = cuts.remove(&i) {
            out.push(p);
            out.extend(tail);
            continue;
        }
        match out.last_mut() {
            Some(prev)
                if merge.contains(&i) && prev.text.len() + p.text.len() < MAX_PASSAGE_BYTES =>
            {
                let label = p.label.trim();
                prev.text.push('\n');
                if !label.is_empty() && !p.text.starts_with(label) {
                    prev.text.push_str(label);
                    prev.text.push(' ');
                }
                let heading = p.heading.trim();
                if !heading.is_empty() && !p.text.contains(heading) {
                    prev.text.push_str(heading);
                    prev.text.push('\n');
                }
                prev.text.push_str(&p.text);
            }
            _ => out.push(p),
        }
    }
    // A section that is only its caption (a lost section's caption line with nothing after it)
    // keeps the caption as its text, as the builder does with a provision that has no text.
    out.retain_mut(|p| {
        if p.text.trim().is_empty() {
            if p.heading.trim().is_empty() {
                return false;
            }
            p.text = p.heading.clone();
        }
        true
    });
    *passages = out;
}

/// The passage's text up to the first line that is a lost section's caption, and the sections
/// those lines start (one per free number at most, in order).
fn cut_lost(
    p: &Passage,
    free: &[u32],
    re: &Regex,
    prefix: &str,
    ids: &mut HashSet<String>,
) -> Option<(String, Vec<Passage>)> {
    let lines: Vec<&str> = p.text.lines().collect();
    let mut starts: Vec<(usize, String, String)> = Vec::new();
    for (i, line) in lines.iter().enumerate().skip(1) {
        if starts.len() == free.len() {
            break;
        }
        if let Some(c) = re.captures(line.trim()) {
            let caption = c.name("caption").map_or("", |m| m.as_str()).trim();
            let rest = c.name("rest").map_or("", |m| m.as_str()).trim();
            if !caption.is_empty() {
                starts.push((i, caption.to_string(), rest.to_string()));
            }
        }
    }
    if starts.is_empty() {
        return None;
    }
    let parent = p
        .passage_id
        .rsplit_once('/')
        .map(|(d, _)| d.to_string())
        .unwrap_or_default();
    let old_slug = p.passage_id.rsplit('/').next().unwrap_or("").to_string();
    let mut tail = Vec::new();
    for (k, (i, caption, rest)) in starts.iter().enumerate() {
        let end = starts.get(k + 1).map_or(lines.len(), |s| s.0);
        let mut body: Vec<&str> = Vec::new();
        if !rest.is_empty() {
            body.push(rest);
        }
        body.extend(&lines[i + 1..end]);
        let num = free[k];
        let slug = slugify(&num.to_string());
        let id = format!("{parent}/{slug}");
        if ids.contains(&id) {
            return None;
        }
        ids.insert(id.clone());
        let url = match p.url.strip_suffix(&old_slug) {
            Some(base) if !old_slug.is_empty() => format!("{base}{slug}"),
            _ => p.url.clone(),
        };
        tail.push(Passage {
            passage_id: id,
            citation: format!("{prefix}{num}"),
            heading: caption.clone(),
            text: body.join("\n"),
            label: String::new(),
            url,
            ..p.clone()
        });
    }
    Some((lines[..starts[0].0].join("\n"), tail))
}
