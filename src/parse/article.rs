//! Article pages: headline, body, image credit and the teaser section ("Empfohlen").
