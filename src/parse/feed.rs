//! Feed formats (RSS 0.9x/1.0/2.0, Atom, JSON Feed) read into `Item`s.
