//! A cast request's body, straight to the ballot event's canonical line (the board's check, `board.rs`).
//!
//! The board stores a ballot as the canonical JSON of `{"type": "ballot", "payload": json.loads(body)}`
//! (`record/events.canonical_json`: keys sorted, no whitespace, `ensure_ascii=False`). Clients spell the body as
//! they like: keys in any order, whitespace between tokens. [`canonical_line`] accepts a body only if it is JSON
//! built from objects (each key once), arrays, `null` and strings of ASCII letters, digits and `_` — nothing to
//! escape, no numbers, no duplicate key, nested at most [`MAX_DEPTH`] deep, at most [`MAX_MEMBERS`] members an
//! object — and then writes exactly the line Python writes for it: such a body parses in Python to the same tree
//! of dicts, lists, `None` and strings, whose canonical form sorts each object's keys (by code point: for ASCII,
//! by byte) and writes every string as is. Any other body gives `None` and takes the Python path, which parses
//! it, names its fault or writes its line: so nothing is decided here that Python would decide differently.
//! Whether the line is a ballot of the election's layout is the line reader's question (`lines::read`).

/// Deeper bodies go to Python (a ballot is four levels deep: payload, answers, an answer, a proof's column).
pub const MAX_DEPTH: usize = 8;

/// Objects with more members go to Python (a ballot's have at most four; the repeated-key test is quadratic).
pub const MAX_MEMBERS: usize = 16;

/// The bytes a string of a read body may hold: ASCII letters, digits, `_`.
static PLAIN: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = c.is_ascii_alphanumeric() || c == b'_';
        b += 1;
    }
    table
};

enum Value<'a> {
    Null,
    Text(&'a [u8]),
    List(Vec<Value<'a>>),
    Object(Vec<(&'a [u8], Value<'a>)>),
}

struct Parser<'a> {
    body: &'a [u8],
    pos: usize,
}

impl<'a> Parser<'a> {
    /// JSON's whitespace (RFC 8259 and Python's `json`): space, tab, line feed, carriage return.
    fn space(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.body.get(self.pos) {
            self.pos += 1;
        }
    }

    fn eat(&mut self, byte: u8) -> bool {
        self.space();
        let hit = self.body.get(self.pos) == Some(&byte);
        if hit {
            self.pos += 1;
        }
        hit
    }

    /// `"…"` of letters, digits and `_` only (no escape, nothing Python would spell otherwise).
    fn text(&mut self) -> Option<&'a [u8]> {
        if !self.eat(b'"') {
            return None;
        }
        let rest = &self.body[self.pos..];
        let n = rest.iter().take_while(|&&b| PLAIN[usize::from(b)]).count();
        if rest.get(n) != Some(&b'"') {
            return None;
        }
        self.pos += n + 1;
        Some(&rest[..n])
    }

    fn value(&mut self, depth: usize) -> Option<Value<'a>> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.space();
        match self.body.get(self.pos)? {
            b'"' => self.text().map(Value::Text),
            b'n' => {
                let end = self.pos.checked_add(4)?;
                (self.body.get(self.pos..end)? == b"null").then(|| {
                    self.pos = end;
                    Value::Null
                })
            }
            b'[' => {
                self.pos += 1;
                let mut items = Vec::new();
                if self.eat(b']') {
                    return Some(Value::List(items));
                }
                loop {
                    items.push(self.value(depth + 1)?);
                    if self.eat(b']') {
                        return Some(Value::List(items));
                    }
                    if !self.eat(b',') {
                        return None;
                    }
                }
            }
            b'{' => {
                self.pos += 1;
                let mut members: Vec<(&[u8], Value)> = Vec::new();
                if self.eat(b'}') {
                    return Some(Value::Object(members));
                }
                loop {
                    let key = self.text()?;
                    if members.len() == MAX_MEMBERS
                        || members.iter().any(|(k, _)| *k == key)
                        || !self.eat(b':')
                    {
                        return None; // a repeated key: Python keeps the last one; leave it to Python
                    }
                    members.push((key, self.value(depth + 1)?));
                    if self.eat(b'}') {
                        members.sort_unstable_by(|x, y| x.0.cmp(y.0));
                        return Some(Value::Object(members));
                    }
                    if !self.eat(b',') {
                        return None;
                    }
                }
            }
            _ => None,
        }
    }
}

fn write(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Text(text) => {
            out.push(b'"');
            out.extend_from_slice(text);
            out.push(b'"');
        }
        Value::List(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write(item, out);
            }
            out.push(b']');
        }
        Value::Object(members) => {
            out.push(b'{');
            for (i, (key, item)) in members.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                out.push(b'"');
                out.extend_from_slice(key);
                out.extend_from_slice(b"\":");
                write(item, out);
            }
            out.push(b'}');
        }
    }
}

/// `canonical_json({"type": "ballot", "payload": json.loads(body)})`, for a body of the kind described above;
/// `None` for any other (Python decides).
pub fn canonical_line(body: &[u8]) -> Option<Vec<u8>> {
    let mut parser = Parser { body, pos: 0 };
    let value = parser.value(0)?;
    parser.space();
    if parser.pos != body.len() || !matches!(value, Value::Object(_)) {
        return None;
    }
    let mut line = Vec::with_capacity(body.len() + 32);
    line.extend_from_slice(b"{\"payload\":");
    write(&value, &mut line);
    line.extend_from_slice(b",\"type\":\"ballot\"}");
    Some(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(body: &str) -> Option<String> {
        canonical_line(body.as_bytes()).map(|l| String::from_utf8(l).unwrap())
    }

    #[test]
    fn keys_sorted_whitespace_dropped() {
        assert_eq!(
            line(" {\"z\" : [\"b1\", null ,{\"y\":\"x\",\"B\":[]}],\n\t\"a\":\"0f\"}\r\n").as_deref(),
            Some("{\"payload\":{\"a\":\"0f\",\"z\":[\"b1\",null,{\"B\":[],\"y\":\"x\"}]},\"type\":\"ballot\"}")
        );
        assert_eq!(
            line("{}").as_deref(),
            Some("{\"payload\":{},\"type\":\"ballot\"}")
        );
    }

    #[test]
    fn anything_python_could_read_otherwise_is_left_to_it() {
        for body in [
            "",
            "[]",
            "\"a\"",
            "{\"a\":\"b\",\"a\":\"c\"}",       // repeated key
            "{\"a\":\"\\u0061\"}",             // an escape
            "{\"a\":\"é\"}",                   // beyond ASCII
            "{\"a\":\"b c\"}",                 // a space inside a string
            "{\"a\":1}",                       // a number
            "{\"a\":true}",                    // true
            "{\"a\":\"b\",}",                  // trailing comma
            "{\"a\":[\"b\",]}",                // trailing comma
            "{\"a\":\"b\"} x",                 // trailing data
            "{\"a\":\"b\"",                    // cut
            "{\"a\" \"b\"}",                   // no colon
            "{\"a\":nul}",                     // cut literal
            "{\"a\":\"b\"}\u{a0}",             // not JSON whitespace
            "{\"a\":[[[[[[[[[\"b\"]]]]]]]]]}", // too deep
        ] {
            assert!(line(body).is_none(), "{body}");
        }
        assert!(line("{\"a\":[[[[[[[\"b\"]]]]]]]}").is_some()); // deep, but not too deep
        let members = |n: usize| {
            let inner: Vec<String> = (0..n).map(|i| format!("\"k{i}\":null")).collect();
            format!("{{{}}}", inner.join(","))
        };
        assert!(line(&members(MAX_MEMBERS)).is_some());
        assert!(line(&members(MAX_MEMBERS + 1)).is_none()); // many keys: Python's linear parser
    }
}
