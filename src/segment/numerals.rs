//! Labels as sources write them → labels as lawyers cite them.
//!
//! `二百八十五` → `285`, `第二百八十六条之一` → `286-1`, `百六十八条の二` → `168-2`, `48조의2` → `48-2`,
//! full-width digits → ASCII.

/// Value of a Chinese/Japanese numeral (`二百八十五`, `十`, `一千零一`), or of full-width/ASCII digits.
pub fn cjk_number(s: &str) -> Option<u32> {
    if s.is_empty() {
        return None;
    }
    if s.chars()
        .all(|c| c.is_ascii_digit() || ('０'..='９').contains(&c))
    {
        let ascii: String = s.chars().map(fullwidth_to_ascii).collect();
        return ascii.parse().ok();
    }
    let mut total: u32 = 0;
    let mut section: u32 = 0; // below 10000
    let mut digit: Option<u32> = None;
    for c in s.chars() {
        let d = match c {
            '〇' | '零' => Some(0),
            '一' | '壹' => Some(1),
            '二' | '两' | '貳' | '贰' => Some(2),
            '三' | '參' | '叁' => Some(3),
            '四' | '肆' => Some(4),
            '五' | '伍' => Some(5),
            '六' | '陸' | '陆' => Some(6),
            '七' | '柒' => Some(7),
            '八' | '捌' => Some(8),
            '九' | '玖' => Some(9),
            _ => None,
        };
        if let Some(d) = d {
            digit = Some(d);
            continue;
        }
        let unit = match c {
            '十' | '拾' => 10,
            '百' | '佰' => 100,
            '千' | '仟' => 1000,
            '万' | '萬' => 10000,
            _ => return None,
        };
        if unit == 10000 {
            section += digit.take().unwrap_or(0);
            total += section.max(1) * 10000;
            section = 0;
        } else {
            section += digit.take().unwrap_or(1) * unit;
        }
    }
    Some(total + section + digit.unwrap_or(0))
}

fn fullwidth_to_ascii(c: char) -> char {
    if ('０'..='９').contains(&c) {
        char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c)
    } else {
        c
    }
}

/// Normalize a captured label: CJK numerals and full-width digits become ASCII numbers,
/// the CJK "-bis" suffixes (`之一`, `の二`, `의2`) become `-N`, whitespace is removed at the ends.
pub fn normalize_label(raw: &str) -> String {
    let raw = raw.trim();
    let mut out = String::new();
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        if !run.is_empty() {
            match cjk_number(run) {
                Some(n) => out.push_str(&n.to_string()),
                None => out.push_str(run),
            }
            run.clear();
        }
    };
    for c in raw.chars() {
        if is_numeral(c) {
            run.push(c);
            continue;
        }
        flush(&mut run, &mut out);
        match c {
            '之' | 'の' | '의' | 'ノ' => out.push('-'),
            '条' | '條' | '조' | '第' | '제' => {}
            _ => out.push(c),
        }
    }
    flush(&mut run, &mut out);
    out
}

fn is_numeral(c: char) -> bool {
    c.is_ascii_digit()
        || ('０'..='９').contains(&c)
        || "〇零一壹二两貳贰三參叁四肆五伍六陸陆七柒八捌九玖十拾百佰千仟万萬".contains(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_numerals() {
        assert_eq!(cjk_number("二百八十五"), Some(285));
        assert_eq!(cjk_number("十"), Some(10));
        assert_eq!(cjk_number("十二"), Some(12));
        assert_eq!(cjk_number("一百零一"), Some(101));
        assert_eq!(cjk_number("四百五十二"), Some(452));
        assert_eq!(cjk_number("１２"), Some(12));
        assert_eq!(cjk_number("条"), None);
    }

    #[test]
    fn labels() {
        assert_eq!(normalize_label("第二百八十五条"), "285");
        assert_eq!(normalize_label("第二百八十六条之一"), "286-1");
        assert_eq!(normalize_label("第百六十八条の二"), "168-2");
        assert_eq!(normalize_label("제48조의2"), "48-2");
        assert_eq!(normalize_label(" 202a "), "202a");
    }
}
