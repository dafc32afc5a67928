//! Privacy screening of free text: incidents describe places and situations, not people.
//!
//! [`screen`] finds Swedish personal identity numbers (personnummer) and co-ordination numbers
//! (samordningsnummer, day + 60), 10 or 12 digits with or without separator and with a valid
//! date and check digit; Swedish phone numbers (national `0…` or international `+46`/`0046`);
//! and e-mail addresses. Numbers glued to letters (case numbers like `K123456-24`) are not
//! considered, nor are dates, amounts, postal codes or numbers with a wrong check digit.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SensitiveKind {
    PersonalIdentityNumber,
    CoordinationNumber,
    PhoneNumber,
    Email,
}

impl SensitiveKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SensitiveKind::PersonalIdentityNumber => "personal_identity_number",
            SensitiveKind::CoordinationNumber => "coordination_number",
            SensitiveKind::PhoneNumber => "phone_number",
            SensitiveKind::Email => "email",
        }
    }
}

/// Something found in a text: what, and where (byte offsets).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub kind: SensitiveKind,
    pub start: usize,
    pub end: usize,
    pub text: String,
}

/// Every personal identity number, co-ordination number, phone number and e-mail address in
/// `text`, in order, with offsets into `text`. The text is read as a person reads it
/// ([`View`]): Unicode compatibility forms folded (NFKC: full-width digits, ligatures),
/// invisible format characters dropped (zero-width spaces, bidirectional controls, soft
/// hyphens), every dash and space variant read as `-` and ` `, the letter O beside digits as
/// 0, `(at)` and `(dot)` as `@` and `.`; and dates written with dots (`81.12.18-9876`) are
/// read as identity numbers too.
pub fn screen(text: &str) -> Vec<Finding> {
    let v = View::of(text);
    let mut found: Vec<Finding> = emails(&v.text)
        .into_iter()
        .chain(numbers(&v.text))
        .map(|f| v.original(text, f))
        .collect();
    // Dots between digits dropped: dates written 81.12.18 (identity numbers only, so that
    // decimals and versions are not read as phone numbers).
    if v.text.contains('.') {
        let undotted = v.without_dots_between_digits();
        for f in numbers(&undotted.text) {
            if matches!(
                f.kind,
                SensitiveKind::PersonalIdentityNumber | SensitiveKind::CoordinationNumber
            ) {
                let f = undotted.original(text, f);
                if !found.iter().any(|g| g.start < f.end && f.start < g.end) {
                    found.push(f);
                }
            }
        }
    }
    found.sort_by_key(|f| f.start);
    found
}

/// Text as screening reads it, each byte knowing the bytes of the original it came from.
struct View {
    text: String,
    /// For every byte of `text`: the original's byte range of the character it came from.
    from: Vec<(usize, usize)>,
}

/// A spelled-out `(at)`, `[dot]`, … starting at byte `i` (after spaces), with the spaces after
/// it: the character it stands for and the byte where it ends. Bytes, not `str` slices: a
/// window of the text may end inside a letter.
fn spelled_at(b: &[u8], i: usize) -> Option<(char, usize)> {
    let s = i + b[i..].iter().take_while(|c| **c == b' ').count();
    for (word, to) in [(&b"at"[..], '@'), (&b"dot"[..], '.')] {
        for (open, close) in [(b'(', b')'), (b'[', b']'), (b'{', b'}')] {
            let end = s + word.len() + 2;
            if end <= b.len()
                && b[s] == open
                && b[s + 1..end - 1].eq_ignore_ascii_case(word)
                && b[end - 1] == close
            {
                return Some((
                    to,
                    end + b[end..].iter().take_while(|c| **c == b' ').count(),
                ));
            }
        }
    }
    None
}

/// Invisible format characters (Unicode category Cf that turn up in pasted text).
fn invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{061C}' | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{206F}' | '\u{FEFF}' | '\u{FFF9}'..='\u{FFFB}')
}

fn dash(c: char) -> bool {
    matches!(
        c,
        '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{FE58}' | '\u{FE63}' | '\u{FF0D}' | '\u{2043}'
    )
}

fn space(c: char) -> bool {
    matches!(
        c,
        '\u{00A0}' | '\u{2000}'..='\u{200A}' | '\u{202F}' | '\u{205F}' | '\u{3000}' | '\t'
    )
}

impl View {
    fn of(orig: &str) -> View {
        use unicode_normalization::UnicodeNormalization;
        let mut v = View {
            text: String::with_capacity(orig.len()),
            from: Vec::with_capacity(orig.len()),
        };
        for (i, c) in orig.char_indices() {
            let span = (i, i + c.len_utf8());
            if invisible(c) {
                continue;
            }
            if dash(c) {
                v.push('-', span);
            } else if space(c) {
                v.push(' ', span);
            } else if c.is_ascii() {
                v.push(c, span);
            } else {
                for n in std::iter::once(c).nfkc() {
                    v.push(
                        if dash(n) {
                            '-'
                        } else if space(n) {
                            ' '
                        } else {
                            n
                        },
                        span,
                    );
                }
            }
        }
        v.spelled_out().letter_o()
    }

    fn push(&mut self, c: char, span: (usize, usize)) {
        for _ in 0..c.len_utf8() {
            self.from.push(span);
        }
        self.text.push(c);
    }

    /// `(at)`, `[at]`, `{at}` as `@` and `(dot)`, `[dot]`, `{dot}` as `.`, with the spaces
    /// around them.
    fn spelled_out(self) -> View {
        if !self.text.contains(['(', '[', '{']) {
            return self;
        }
        let b = self.text.as_bytes();
        let mut out = View {
            text: String::with_capacity(self.text.len()),
            from: Vec::with_capacity(self.from.len()),
        };
        let mut i = 0;
        while i < b.len() {
            if let Some((to, end)) = spelled_at(b, i) {
                out.push(to, (self.from[i].0, self.from[end - 1].1));
                i = end;
            } else {
                let c = self.text[i..].chars().next().unwrap_or(' ');
                out.text.push(c);
                out.from.extend_from_slice(&self.from[i..i + c.len_utf8()]);
                i += c.len_utf8();
            }
        }
        out
    }

    /// The letter O (or o) beside a digit, and not inside a word, as the digit 0: `O7O-123 45 67`.
    fn letter_o(mut self) -> View {
        if !self.text.contains(['o', 'O']) || !self.text.bytes().any(|b| b.is_ascii_digit()) {
            return self;
        }
        let chars: Vec<char> = self.text.chars().collect();
        let digit = |x: Option<&char>| x.is_some_and(|x| x.is_ascii_digit());
        let word =
            |x: Option<&char>| x.is_some_and(|x| x.is_alphabetic() && !matches!(x, 'o' | 'O'));
        self.text = chars
            .iter()
            .enumerate()
            .map(|(k, &c)| {
                let (prev, next) = (
                    k.checked_sub(1).and_then(|p| chars.get(p)),
                    chars.get(k + 1),
                );
                let zero = matches!(c, 'o' | 'O')
                    && (digit(prev) || digit(next))
                    && !word(prev)
                    && !word(next);
                if zero { '0' } else { c }
            })
            .collect();
        self
    }

    fn without_dots_between_digits(&self) -> View {
        let b = self.text.as_bytes();
        let mut out = View {
            text: String::with_capacity(self.text.len()),
            from: Vec::with_capacity(self.from.len()),
        };
        for (i, c) in self.text.char_indices() {
            let between = c == '.'
                && i > 0
                && b[i - 1].is_ascii_digit()
                && b.get(i + 1).is_some_and(|d| d.is_ascii_digit());
            if !between {
                for k in 0..c.len_utf8() {
                    out.from.push(self.from[i + k]);
                }
                out.text.push(c);
            }
        }
        out
    }

    /// A finding in the view as a finding in the original text.
    fn original(&self, orig: &str, f: Finding) -> Finding {
        let start = self.from[f.start].0;
        let end = self.from[f.end - 1].1;
        Finding {
            kind: f.kind,
            start,
            end,
            text: orig[start..end].to_string(),
        }
    }
}

/// Replaces every finding with a placeholder of its kind, e.g. `[personnummer borttaget]`.
pub fn redact(text: &str, placeholder: impl Fn(SensitiveKind) -> String) -> String {
    redact_counted(text, placeholder).0
}

/// `redact`, and how many findings it replaced: text screened once where both are needed.
pub fn redact_counted(
    text: &str,
    placeholder: impl Fn(SensitiveKind) -> String,
) -> (String, usize) {
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    let mut count = 0;
    for f in screen(text) {
        if f.start < at {
            continue;
        }
        out.push_str(&text[at..f.start]);
        out.push_str(&placeholder(f.kind));
        at = f.end;
        count += 1;
    }
    out.push_str(&text[at..]);
    (out, count)
}

fn luhn_ok(ten: &[u8]) -> bool {
    let sum: u32 = ten
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let v = u32::from(*d) * if i.is_multiple_of(2) { 2 } else { 1 };
            v / 10 + v % 10
        })
        .sum();
    sum.is_multiple_of(10)
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400) => {
            29
        }
        2 => 28,
        _ => 0,
    }
}

/// `digits`: 10 (YYMMDDNNNC) or 12 (CCYYMMDDNNNC). Returns the kind if date and check digit
/// are valid.
fn identity_kind(digits: &[u8]) -> Option<SensitiveKind> {
    let (century, ten) = match digits.len() {
        10 => (None, digits),
        12 => {
            let c = u32::from(digits[0]) * 10 + u32::from(digits[1]);
            if !(18..=20).contains(&c) {
                return None;
            }
            (Some(c), &digits[2..])
        }
        _ => return None,
    };
    let num = |a: usize| u32::from(ten[a]) * 10 + u32::from(ten[a + 1]);
    let (yy, month, mut day) = (num(0), num(2), num(4));
    let mut kind = SensitiveKind::PersonalIdentityNumber;
    if day > 60 {
        day -= 60;
        kind = SensitiveKind::CoordinationNumber;
    }
    // Without a century any year is possible; 2000 is a leap year, so 29 February passes.
    let year = century.map(|c| c * 100 + yy).unwrap_or(2000 + yy);
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    luhn_ok(ten).then_some(kind)
}

/// A run of digit groups separated by single spaces, hyphens or plus signs.
struct Run {
    /// (start, end) byte offsets of each digit group.
    groups: Vec<(usize, usize)>,
    /// Whether the run starts with "+" (international prefix).
    plus: bool,
    start: usize,
}

fn runs(text: &str) -> Vec<Run> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let plus = b[i] == b'+' && i + 1 < b.len() && b[i + 1].is_ascii_digit();
        if !(b[i].is_ascii_digit() || plus) {
            i += 1;
            continue;
        }
        let start = i;
        let before = text[..start].chars().next_back();
        let glued_before = before.is_some_and(|c| c.is_alphanumeric() || c == '_');
        if plus {
            i += 1;
        }
        let mut groups = Vec::new();
        loop {
            let g = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            groups.push((g, i));
            // A single separator followed by a digit continues the run.
            if i + 1 < b.len() && matches!(b[i], b' ' | b'-' | b'+') && b[i + 1].is_ascii_digit() {
                i += 1;
                continue;
            }
            break;
        }
        let after = text[i..].chars().next();
        // A decimal point or comma followed by a digit makes it a decimal number, not an id.
        let glued_after = after.is_some_and(|c| c.is_alphanumeric() || c == '_')
            || (matches!(after, Some('.' | ',' | ':' | '/'))
                && text[i + 1..]
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_digit()));
        let decimal_before = matches!(before, Some('.' | ',' | ':' | '/'))
            && text[..start]
                .chars()
                .nth_back(1)
                .is_some_and(|c| c.is_ascii_digit());
        if !glued_before && !glued_after && !decimal_before {
            out.push(Run {
                groups,
                plus,
                start,
            });
        }
    }
    out
}

fn digits_of(text: &str, groups: &[(usize, usize)]) -> Vec<u8> {
    groups
        .iter()
        .flat_map(|(s, e)| text.as_bytes()[*s..*e].iter().map(|c| c - b'0'))
        .collect()
}

fn identity_shape(text: &str, groups: &[(usize, usize)]) -> bool {
    let lens: Vec<usize> = groups.iter().map(|(s, e)| e - s).collect();
    match lens.as_slice() {
        [10] | [12] => true,
        [6, 4] | [8, 4] => {
            let sep = text.as_bytes()[groups[0].1];
            matches!(sep, b'-' | b'+' | b' ')
        }
        _ => false,
    }
}

fn phone_shape(text: &str, groups: &[(usize, usize)], plus_at_start: bool) -> bool {
    let digits = digits_of(text, groups);
    let lens: Vec<usize> = groups.iter().map(|(s, e)| e - s).collect();
    // "6-4" and "8-4" with a hyphen are how identity numbers are written, never phones.
    if identity_shape(text, groups) && lens.len() == 2 {
        return false;
    }
    let international = plus_at_start || (digits.len() > 4 && digits[..4] == [0, 0, 4, 6]);
    let national = if plus_at_start {
        if digits.len() < 2 || digits[..2] != [4, 6] {
            return false;
        }
        &digits[2..]
    } else if digits.len() > 4 && digits[..4] == [0, 0, 4, 6] {
        &digits[4..]
    } else {
        if digits.first() != Some(&0) || digits.get(1).is_none_or(|d| *d == 0) {
            return false;
        }
        &digits[1..]
    };
    if national.first().is_none_or(|d| *d == 0) {
        return false;
    }
    // Swedish numbers have 7 to 9 digits after the leading 0 / country code.
    // Groups of one digit are counts ("3 4 5"), except an area code after the country code
    // ("+46 8 …" for Stockholm).
    let groups_ok = lens
        .iter()
        .enumerate()
        .skip(1)
        .all(|(i, l)| *l >= 2 || (i == 1 && international));
    (7..=9).contains(&national.len()) && groups_ok
}

fn numbers(text: &str) -> Vec<Finding> {
    let mut found = Vec::new();
    for run in runs(text) {
        let n = run.groups.len();
        let mut i = 0;
        while i < n {
            let mut matched = None;
            for j in (i..n).rev() {
                let window = &run.groups[i..=j];
                let plus = run.plus && i == 0;
                let start = if plus { run.start } else { window[0].0 };
                let end = window[j - i].1;
                if identity_shape(text, window)
                    && let Some(kind) = identity_kind(&digits_of(text, window))
                {
                    matched = Some((j, kind, start, end));
                    break;
                }
                if phone_shape(text, window, plus) {
                    matched = Some((j, SensitiveKind::PhoneNumber, start, end));
                    break;
                }
            }
            match matched {
                Some((j, kind, start, end)) => {
                    found.push(Finding {
                        kind,
                        start,
                        end,
                        text: text[start..end].to_string(),
                    });
                    i = j + 1;
                }
                None => i += 1,
            }
        }
    }
    found
}

fn emails(text: &str) -> Vec<Finding> {
    let mut found = Vec::new();
    // Letters of any script (an address may be `info@kungsör.se`).
    let local_char = |c: char| c.is_alphanumeric() || "._%+-".contains(c);
    let domain_char = |c: char| c.is_alphanumeric() || c == '-' || c == '.';
    for (at, _) in text.match_indices('@') {
        let s = text[..at]
            .char_indices()
            .rev()
            .take_while(|(_, c)| local_char(*c))
            .last()
            .map_or(at, |(i, _)| i);
        let mut e = at
            + 1
            + text[at + 1..]
                .chars()
                .take_while(|c| domain_char(*c))
                .map(char::len_utf8)
                .sum::<usize>();
        // Trailing dots end sentences, not domains.
        while e > at + 1 && text.as_bytes()[e - 1] == b'.' {
            e -= 1;
        }
        let local = &text[s..at];
        let domain = &text[at + 1..e];
        let tld = domain.rsplit('.').next().unwrap_or("");
        let ok = !local.is_empty()
            && !local.starts_with('.')
            && domain.contains('.')
            && !domain.starts_with(['.', '-'])
            && tld.chars().count() >= 2
            && tld.chars().all(char::is_alphabetic);
        if ok {
            found.push(Finding {
                kind: SensitiveKind::Email,
                start: s,
                end: e,
                text: text[s..e].to_string(),
            });
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use SensitiveKind::*;

    /// Valid numbers (dates and check digits computed independently, in Python), phones in the
    /// ways Swedes write them, and e-mail addresses; each inside a sentence.
    const POSITIVES: &[(&str, SensitiveKind)] = &[
        ("510568-6066", CoordinationNumber),
        ("7810291331", PersonalIdentityNumber),
        ("19630311-9371", PersonalIdentityNumber),
        ("198403074852", PersonalIdentityNumber),
        ("860219-5946", PersonalIdentityNumber),
        ("3511786208", CoordinationNumber),
        ("19310308-9300", PersonalIdentityNumber),
        ("200502184807", PersonalIdentityNumber),
        ("530408-5649", PersonalIdentityNumber),
        ("5101091964", PersonalIdentityNumber),
        ("19940564-4817", CoordinationNumber),
        ("197807148569", PersonalIdentityNumber),
        ("790424-4873", PersonalIdentityNumber),
        ("6508186548", PersonalIdentityNumber),
        ("20070331-1548", PersonalIdentityNumber),
        ("195010826500", CoordinationNumber),
        ("430809-8880", PersonalIdentityNumber),
        ("7612083993", PersonalIdentityNumber),
        ("19960702-0154", PersonalIdentityNumber),
        ("199003277952", PersonalIdentityNumber),
        ("350990-1637", CoordinationNumber),
        ("9801099806", PersonalIdentityNumber),
        ("19830112-0435", PersonalIdentityNumber),
        ("195701107988", PersonalIdentityNumber),
        ("321013-8438", PersonalIdentityNumber),
        ("19720531-6099", PersonalIdentityNumber),
        ("199406289422", PersonalIdentityNumber),
        ("081103-3968", PersonalIdentityNumber),
        ("9401258075", PersonalIdentityNumber),
        ("19680480-4042", CoordinationNumber),
        ("199504298200", PersonalIdentityNumber),
        ("811004-4552", PersonalIdentityNumber),
        ("4201138999", PersonalIdentityNumber),
        ("19621017-0996", PersonalIdentityNumber),
        ("193303811396", CoordinationNumber),
        ("740526-2226", PersonalIdentityNumber),
        ("5302229884", PersonalIdentityNumber),
        ("19900417-4463", PersonalIdentityNumber),
        ("199911206416", PersonalIdentityNumber),
        ("121212+1212", PersonalIdentityNumber),
        ("19121212-1212", PersonalIdentityNumber),
        ("070-123 45 67", PhoneNumber),
        ("0701234567", PhoneNumber),
        ("070 123 45 67", PhoneNumber),
        ("+46 70 123 45 67", PhoneNumber),
        ("+46701234567", PhoneNumber),
        ("0046 70 123 45 67", PhoneNumber),
        ("08-123 456 78", PhoneNumber),
        ("08-12345678", PhoneNumber),
        ("031-123 45 67", PhoneNumber),
        ("0480-123 45", PhoneNumber),
        ("0227-123 45", PhoneNumber),
        ("076-123 45 67", PhoneNumber),
        ("073 987 65 43", PhoneNumber),
        ("+46 8 123 456 78", PhoneNumber),
        ("020-123 456", PhoneNumber),
        ("0771-12 34 56", PhoneNumber),
        ("anna.berg@kungsor.se", Email),
        ("kalle_92@hotmail.com", Email),
        ("x+tag@example.org", Email),
        ("info@bostad-ab.se", Email),
        ("a.b.c@sub.domain.co.uk", Email),
        ("Kontakt@Polisen.SE", Email),
    ];

    /// Look-alikes that must not be flagged: wrong check digits, impossible dates, organisation
    /// numbers, dates, case numbers, amounts, times, postal codes, counts, short numbers.
    const NEGATIVES: &[&str] = &[
        "750705-8537",
        "8107013591",
        "820601-2378",
        "9103099372",
        "061031-2863",
        "9209048815",
        "780809-9268",
        "9401156711",
        "861015-8519",
        "5507261270",
        "730330-8749",
        "3712103528",
        "661029-9182",
        "3110223006",
        "981221-4255",
        "3312196194",
        "631123-7351",
        "7906039029",
        "750506-2410",
        "851301-1232",
        "900012-1237",
        "770230-1230",
        "990431-1231",
        "600600-1231",
        "556036-0793",
        "802004-9105",
        "212000-0142",
        "2026-11-27",
        "27/11 2026",
        "2026-11-27 22:15",
        "5000-K123456-24",
        "K-123456-24",
        "Dnr 2024/123",
        "ärende 12345",
        "12 500 kr",
        "1 234 567 kr",
        "3,5 miljoner",
        "kl. 06.30",
        "mellan 22 och 06",
        "736 30 Kungsör",
        "73630",
        "15 personer",
        "3-4 ungdomar",
        "ring 112",
        "polisen 114 14",
        "1177",
        "0701",
        "08-123",
        "2019-2020",
        "1990-talet",
        "ABC 123",
        "123456789012",
        "9876543210",
        "anna@",
        "@kungsor",
        "user@localhost",
        "59.4224, 16.0978",
        "5050-1055",
        "+4670",
        "nr 0.5 mm",
        "version 1.2.3",
    ];

    #[test]
    fn every_positive_is_found_and_classified() {
        assert!(POSITIVES.len() >= 50);
        for (value, kind) in POSITIVES {
            let text = format!("Såg något vid entrén, {value} stod på lappen.");
            let found = screen(&text);
            assert_eq!(found.len(), 1, "{value:?}: {found:?}");
            assert_eq!(found[0].kind, *kind, "{value:?}");
            assert_eq!(found[0].text, *value, "{value:?}");
            assert_eq!(&text[found[0].start..found[0].end], *value);
            // Also alone, at the very start and end of the text.
            assert_eq!(screen(value).len(), 1, "{value:?} alone");
        }
    }

    #[test]
    fn no_negative_is_flagged() {
        assert!(NEGATIVES.len() >= 50);
        for value in NEGATIVES {
            let text = format!("Anteckning: {value} enligt rapporten.");
            assert_eq!(screen(&text), vec![], "{value:?} was flagged");
            assert_eq!(screen(value), vec![], "{value:?} alone was flagged");
        }
    }

    /// The ways a number or address was written to slip past the screening (security review,
    /// finding 4): each must still be found, its text the original's.
    const EVASIONS: &[(&str, SensitiveKind)] = &[
        // A label glued to the number ("pnr:") is found; the finding is the number.
        ("811218\u{2013}9876", PersonalIdentityNumber),
        ("811218\u{2010}9876", PersonalIdentityNumber),
        ("811218\u{00A0}9876", PersonalIdentityNumber),
        ("8112\u{200B}18-9876", PersonalIdentityNumber),
        (
            "\u{FF18}\u{FF11}\u{FF11}\u{FF12}\u{FF11}\u{FF18}-\u{FF19}\u{FF18}\u{FF17}\u{FF16}",
            PersonalIdentityNumber,
        ),
        ("81.12.18-9876", PersonalIdentityNumber),
        ("1981.12.18-9876", PersonalIdentityNumber),
        ("pnr:8112189876", PersonalIdentityNumber),
        ("811218-\u{202E}9876", PersonalIdentityNumber),
        ("070\u{2013}123 45 67", PhoneNumber),
        ("\u{FF10}\u{FF17}\u{FF10}-123 45 67", PhoneNumber),
        ("O70-123 45 67", PhoneNumber),
        ("07O-123 45 67", PhoneNumber),
        ("info@kungsör.se", Email),
        ("kalle(at)example.se", Email),
        ("kalle [at] example.se", Email),
        ("kalle(at)example(dot)se", Email),
    ];

    #[test]
    fn evasions_are_found() {
        for (value, kind) in EVASIONS {
            let text = format!("Anteckning: {value} enligt rapporten.");
            let found = screen(&text);
            assert_eq!(found.len(), 1, "{value:?}: {found:?}");
            assert_eq!(found[0].kind, *kind, "{value:?}");
            let shown = value.strip_prefix("pnr:").unwrap_or(value);
            assert_eq!(found[0].text, shown, "{value:?}");
            assert_eq!(screen(value).len(), 1, "{value:?} alone");
            let red = redact(&text, |_| "[x]".into());
            let label = if value.starts_with("pnr:") {
                "pnr:"
            } else {
                ""
            };
            assert_eq!(
                red,
                format!("Anteckning: {label}[x] enligt rapporten."),
                "{value:?}"
            );
        }
    }

    #[test]
    fn brackets_before_letters_of_several_bytes_are_read_safely() {
        // A window of "(at)" or "(dot)" may end inside å: read as bytes, never sliced there.
        for text in [
            "Katten (åå)",
            "Datum (xåå",
            "Vatten [åäö]",
            "{ö",
            "Ring (at",
            "Kattunge (åt) y",
            "(dåt)",
        ] {
            assert_eq!(screen(text), vec![], "{text:?}");
        }
    }

    #[test]
    fn several_in_one_text_and_redaction() {
        let text = "Ring 070-123 45 67 eller mejla anna.berg@kungsor.se om 19121212-1212.";
        let kinds: Vec<_> = screen(text).iter().map(|f| f.kind).collect();
        assert_eq!(kinds, vec![PhoneNumber, Email, PersonalIdentityNumber]);
        let red = redact(text, |k| format!("[{}]", k.as_str()));
        assert_eq!(
            red,
            "Ring [phone_number] eller mejla [email] om [personal_identity_number]."
        );
        // A phone number followed by a count: the number is found, the count is not.
        let f = screen("Ring 070-123 45 67 2 gånger");
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].text, "070-123 45 67");
    }
}
