//! Hand-written Stat, GetDataResponse, GetChildrenResponse and SetWatches2 codecs.

use bytes::BufMut;
use jute_schemas::data::Stat;
use jute_schemas::proto::{GetChildrenResponse, GetDataResponse, SetWatches2};

/// A decode failure (the hand-written code does not say where).
#[derive(Debug, PartialEq, Eq)]
pub struct Bad;

/// A cursor with the same checks as `jute::Reader`.
pub struct Cur<'a> {
    buf: &'a [u8],
    limit: usize,
}

impl<'a> Cur<'a> {
    /// Reads `buf` with `limit` as the maximum length.
    pub fn new(buf: &'a [u8], limit: usize) -> Self {
        Cur { buf, limit }
    }
    fn take(&mut self, n: usize) -> Result<&'a [u8], Bad> {
        if self.buf.len() < n {
            return Err(Bad);
        }
        let (head, tail) = self.buf.split_at(n);
        self.buf = tail;
        Ok(head)
    }
    fn i32(&mut self) -> Result<i32, Bad> {
        let b = self.take(4)?;
        Ok(i32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn i64(&mut self) -> Result<i64, Bad> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(i64::from_be_bytes(a))
    }
    fn len(&mut self) -> Result<Option<usize>, Bad> {
        match self.i32()? {
            -1 => Ok(None),
            n if n < 0 => Err(Bad),
            n if n as usize > self.limit => Err(Bad),
            n => Ok(Some(n as usize)),
        }
    }
    fn bytes(&mut self) -> Result<Option<&'a [u8]>, Bad> {
        match self.len()? {
            None => Ok(None),
            Some(n) => self.take(n).map(Some),
        }
    }
    fn str(&mut self) -> Result<&'a str, Bad> {
        let b = self.bytes()?.ok_or(Bad)?;
        std::str::from_utf8(b).map_err(|_| Bad)
    }
    fn strings(&mut self) -> Result<Option<Vec<String>>, Bad> {
        let Some(n) = self.len()? else {
            return Ok(None);
        };
        if n.saturating_mul(4) > self.buf.len() {
            return Err(Bad);
        }
        let mut v = Vec::with_capacity(n);
        for _ in 0..n {
            v.push(self.str()?.to_owned());
        }
        Ok(Some(v))
    }
    fn borrowed_strings(&mut self) -> Result<Option<Vec<&'a str>>, Bad> {
        let Some(n) = self.len()? else {
            return Ok(None);
        };
        if n.saturating_mul(4) > self.buf.len() {
            return Err(Bad);
        }
        let mut v = Vec::with_capacity(n);
        for _ in 0..n {
            v.push(self.str()?);
        }
        Ok(Some(v))
    }
    /// Fails unless everything was read.
    pub fn done(&self) -> Result<(), Bad> {
        if self.buf.is_empty() {
            Ok(())
        } else {
            Err(Bad)
        }
    }
}

/// Writes a Stat.
pub fn encode_stat<B: BufMut>(s: &Stat, b: &mut B) {
    b.put_i64(s.czxid);
    b.put_i64(s.mzxid);
    b.put_i64(s.ctime);
    b.put_i64(s.mtime);
    b.put_i32(s.version);
    b.put_i32(s.cversion);
    b.put_i32(s.aversion);
    b.put_i64(s.ephemeral_owner);
    b.put_i32(s.data_length);
    b.put_i32(s.num_children);
    b.put_i64(s.pzxid);
}

/// Reads a Stat.
pub fn decode_stat(c: &mut Cur<'_>) -> Result<Stat, Bad> {
    Ok(Stat {
        czxid: c.i64()?,
        mzxid: c.i64()?,
        ctime: c.i64()?,
        mtime: c.i64()?,
        version: c.i32()?,
        cversion: c.i32()?,
        aversion: c.i32()?,
        ephemeral_owner: c.i64()?,
        data_length: c.i32()?,
        num_children: c.i32()?,
        pzxid: c.i64()?,
    })
}

fn put_opt_bytes<B: BufMut>(v: Option<&[u8]>, b: &mut B) {
    match v {
        Some(d) => {
            b.put_i32(d.len() as i32);
            b.put_slice(d);
        }
        None => b.put_i32(-1),
    }
}

fn put_strings<B: BufMut>(v: &Option<Vec<String>>, b: &mut B) {
    match v {
        Some(list) => {
            b.put_i32(list.len() as i32);
            for s in list {
                b.put_i32(s.len() as i32);
                b.put_slice(s.as_bytes());
            }
        }
        None => b.put_i32(-1),
    }
}

fn strings_len(v: &Option<Vec<String>>) -> usize {
    4 + v
        .as_ref()
        .map_or(0, |l| l.iter().map(|s| 4 + s.len()).sum())
}

/// Writes a GetDataResponse into a buffer sized up front, as the derived `to_vec` does.
pub fn encode_get_data(r: &GetDataResponse) -> Vec<u8> {
    let mut out = Vec::with_capacity(4 + r.data.as_ref().map_or(0, Vec::len) + 68);
    put_opt_bytes(r.data.as_deref(), &mut out);
    encode_stat(&r.stat, &mut out);
    out
}

/// Reads a GetDataResponse, copying the data.
pub fn decode_get_data(buf: &[u8], limit: usize) -> Result<GetDataResponse, Bad> {
    let mut c = Cur::new(buf, limit);
    let data = c.bytes()?.map(<[u8]>::to_vec);
    let stat = decode_stat(&mut c)?;
    c.done()?;
    Ok(GetDataResponse { data, stat })
}

/// Reads a GetDataResponse, borrowing the data.
pub fn decode_get_data_borrowed(buf: &[u8], limit: usize) -> Result<(Option<&[u8]>, Stat), Bad> {
    let mut c = Cur::new(buf, limit);
    let data = c.bytes()?;
    let stat = decode_stat(&mut c)?;
    c.done()?;
    Ok((data, stat))
}

/// Writes a GetChildrenResponse.
pub fn encode_children(r: &GetChildrenResponse) -> Vec<u8> {
    let mut out = Vec::with_capacity(strings_len(&r.children));
    put_strings(&r.children, &mut out);
    out
}

/// Reads a GetChildrenResponse into owned strings.
pub fn decode_children(buf: &[u8], limit: usize) -> Result<GetChildrenResponse, Bad> {
    let mut c = Cur::new(buf, limit);
    let children = c.strings()?;
    c.done()?;
    Ok(GetChildrenResponse { children })
}

/// Reads a GetChildrenResponse borrowing the names.
pub fn decode_children_borrowed(buf: &[u8], limit: usize) -> Result<Option<Vec<&str>>, Bad> {
    let mut c = Cur::new(buf, limit);
    let children = c.borrowed_strings()?;
    c.done()?;
    Ok(children)
}

/// Writes a SetWatches2.
pub fn encode_set_watches2(r: &SetWatches2) -> Vec<u8> {
    let lists = [
        &r.data_watches,
        &r.exist_watches,
        &r.child_watches,
        &r.persistent_watches,
        &r.persistent_recursive_watches,
    ];
    let mut out = Vec::with_capacity(8 + lists.iter().map(|l| strings_len(l)).sum::<usize>());
    out.put_i64(r.relative_zxid);
    for l in lists {
        put_strings(l, &mut out);
    }
    out
}

/// Reads a SetWatches2.
pub fn decode_set_watches2(buf: &[u8], limit: usize) -> Result<SetWatches2, Bad> {
    let mut c = Cur::new(buf, limit);
    let r = SetWatches2 {
        relative_zxid: c.i64()?,
        data_watches: c.strings()?,
        exist_watches: c.strings()?,
        child_watches: c.strings()?,
        persistent_watches: c.strings()?,
        persistent_recursive_watches: c.strings()?,
    };
    c.done()?;
    Ok(r)
}
