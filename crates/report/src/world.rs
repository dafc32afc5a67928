//! The smallest Typst world: one main source, the data as a JSON file beside it, the fonts that
//! ship with Typst (embedded, so a PDF looks the same on every machine) and a fixed date.

use std::sync::LazyLock;
use typst::diag::{FileError, FileResult};
use typst::foundations::{Bytes, Datetime, Duration};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World};

/// Fonts and the standard library are parsed once per process.
struct Shared {
    library: LazyHash<Library>,
    book: LazyHash<FontBook>,
    fonts: Vec<Font>,
}

static SHARED: LazyLock<Shared> = LazyLock::new(|| {
    let fonts: Vec<Font> = typst_assets::fonts()
        .flat_map(|data| Font::iter(Bytes::new(data)))
        .collect();
    Shared {
        library: LazyHash::new(Library::default()),
        book: LazyHash::new(FontBook::from_fonts(&fonts)),
        fonts,
    }
});

pub(crate) const DATA_PATH: &str = "/data.json";

pub(crate) struct DocWorld {
    main: Source,
    common: Source,
    data: Bytes,
    data_id: FileId,
}

fn id(path: &str) -> FileId {
    RootedPath::new(
        VirtualRoot::Project,
        VirtualPath::new(path).expect("a fixed, valid virtual path"),
    )
    .intern()
}

impl DocWorld {
    pub(crate) fn new(template: &str, data: Vec<u8>) -> Self {
        DocWorld {
            main: Source::new(id("/main.typ"), template.to_string()),
            common: Source::new(
                id("/common.typ"),
                include_str!("../templates/common.typ").to_string(),
            ),
            data: Bytes::new(data),
            data_id: id(DATA_PATH),
        }
    }

    fn find(&self, id: FileId) -> Option<&Source> {
        [&self.main, &self.common]
            .into_iter()
            .find(|s| s.id() == id)
    }
}

impl World for DocWorld {
    fn library(&self) -> &LazyHash<Library> {
        &SHARED.library
    }
    fn book(&self) -> &LazyHash<FontBook> {
        &SHARED.book
    }
    fn main(&self) -> FileId {
        self.main.id()
    }
    fn source(&self, id: FileId) -> FileResult<Source> {
        if let Some(s) = self.find(id) {
            Ok(s.clone())
        } else {
            Err(FileError::NotFound(
                id.get().vpath().get_without_slash().into(),
            ))
        }
    }
    fn file(&self, id: FileId) -> FileResult<Bytes> {
        if id == self.data_id {
            Ok(self.data.clone())
        } else if let Some(s) = self.find(id) {
            Ok(Bytes::from_string(s.clone()))
        } else {
            Err(FileError::NotFound(
                id.get().vpath().get_without_slash().into(),
            ))
        }
    }
    fn font(&self, index: usize) -> Option<Font> {
        SHARED.fonts.get(index).cloned()
    }
    fn today(&self, _offset: Option<Duration>) -> Option<Datetime> {
        // Documents print their own dates (from the data); none asks Typst for today.
        None
    }
}
