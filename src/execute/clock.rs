//! Wall-clock helpers: Plaid's timestamps (`created_at`, RFC 3339) and HTTP dates (`Date`,
//! `Retry-After`) as Unix seconds. Reconciliation compares them with our own clock, so parsing
//! is strict: anything unexpected is `None`, never a guess. HTTP dates are the `httpdate` crate's
//! (hyper's, already built); it has no RFC 3339 parser, so that one is here.

use std::time::{SystemTime, UNIX_EPOCH};

pub fn now_unix_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn number(text: &str) -> Option<i64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

fn unix(year: i64, month: i64, day: i64, h: i64, m: i64, s: i64) -> Option<i64> {
    // Both formats have four-digit years; a longer one (a hostile header) would overflow the
    // arithmetic here and in every caller that turns seconds into milliseconds.
    let valid = (0..=9999).contains(&year)
        && (1..=12).contains(&month)
        && (1..=31).contains(&day)
        && h < 24
        && m < 60
        && s <= 60;
    valid.then(|| days_from_civil(year, month, day) * 86_400 + h * 3600 + m * 60 + s)
}

/// `2020-07-24T03:26:02Z`, with optional fraction and a `Z` or `±hh:mm` offset.
pub fn parse_rfc3339(text: &str) -> Option<i64> {
    let (date, rest) = text.split_once(['T', 't', ' '])?;
    let mut d = date.split('-');
    let (year, month, day) = (number(d.next()?)?, number(d.next()?)?, number(d.next()?)?);
    let (clock, offset) = if let Some(c) = rest.strip_suffix(['Z', 'z']) {
        (c, 0)
    } else {
        let at = rest.rfind(['+', '-'])?;
        let (c, o) = rest.split_at(at);
        let (oh, om) = o[1..].split_once(':')?;
        let (oh, om) = (number(oh)?, number(om)?);
        if oh > 23 || om > 59 {
            return None;
        }
        let minutes = oh * 60 + om;
        (c, if o.starts_with('-') { -minutes * 60 } else { minutes * 60 })
    };
    let clock = clock.split('.').next()?;
    let mut c = clock.split(':');
    let (h, m, s) = (number(c.next()?)?, number(c.next()?)?, number(c.next()?)?);
    Some(unix(year, month, day, h, m, s)? - offset)
}

/// An HTTP date in any of the three forms HTTP/1.1 recipients must accept (IMF-fixdate
/// `Sun, 06 Nov 1994 08:49:37 GMT`, RFC 850, asctime), from 1970 to 9999.
pub fn parse_http_date(text: &str) -> Option<i64> {
    let at = httpdate::parse_http_date(text.trim()).ok()?;
    at.duration_since(UNIX_EPOCH).ok().and_then(|d| i64::try_from(d.as_secs()).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_plaid_timestamps_and_http_dates() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_rfc3339("2020-07-24T03:26:02Z"), Some(1_595_561_162));
        assert_eq!(parse_rfc3339("2020-07-24T03:26:02.123Z"), Some(1_595_561_162));
        assert_eq!(parse_rfc3339("2020-07-24T05:26:02+02:00"), Some(1_595_561_162));
        assert_eq!(parse_rfc3339("2020-07-24"), None);
        assert_eq!(parse_rfc3339("2020-13-24T03:26:02Z"), None);
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), Some(784_111_777));
        assert_eq!(parse_http_date("Sun, 06 Foo 1994 08:49:37 GMT"), None);
        assert_eq!(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), Some(784_111_777));
        assert_eq!(parse_http_date("Sun Nov  6 08:49:37 1994"), Some(784_111_777));
        assert_eq!(parse_http_date("Mon, 06 Nov 1994 08:49:37 GMT"), None, "the weekday is checked");
    }

    /// Found by tests/fuzz.rs: a `Retry-After` date in year 292278995 overflowed `at * 1000`
    /// (an internal panic in debug builds, a wrapped negative wait in release).
    #[test]
    fn years_and_offsets_past_the_formats_are_refused() {
        assert_eq!(parse_http_date("Sun, 06 Jan 292278995 08:49:37 GMT"), None);
        assert_eq!(parse_http_date("Sun, 06 Jan 9223372036854775807 08:49:37 GMT"), None);
        assert_eq!(parse_http_date("Fri, 31 Dec 9999 23:59:59 GMT"), Some(253_402_300_799));
        assert_eq!(parse_rfc3339("99999999999-01-01T00:00:00Z"), None);
        assert_eq!(parse_rfc3339("2020-07-24T03:26:02+9223372036854775807:00"), None);
        assert_eq!(parse_rfc3339("2020-07-24T03:26:02+24:00"), None);
    }
}
