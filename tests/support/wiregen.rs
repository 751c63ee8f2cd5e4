//! Deterministic generator of invented German wire stories, their republished copies and
//! hard negatives, for the near-duplicate evaluation in `tests/dedup_eval.rs`.
//!
//! Everything here is invented (names, places, institutions, numbers). A base story is 3–8
//! sentences drawn from the templates of its kind (legislation, minister statement, police
//! report, company news, weather) with story-specific facts. Republished copies apply what
//! other sites do to agency copy: a site name in the title, a byline or dateline, reading
//! tips and copyright lines, other quote styles and line breaks, only the first paragraph
//! or the first sentences as a teaser, a truncated text, a copy editor's word swaps, and
//! combinations. Hard negatives share actors, day and topic but report another event, or
//! reuse the exact sentence templates with other places and numbers, or follow up on the
//! story and quote one or two of its sentences.
//!
//! [`newsroom`] streams a corpus at newsroom scale for the store benchmark: the same
//! templates plus a shared bank of agency formulas, invented places and names by the
//! thousand, clusters of stories about one event, families of template stories that differ
//! only in places and numbers, and republications with every edit above.
#![allow(dead_code)]

use std::collections::HashMap;

/// splitmix64: small, fast, and stable forever (unlike library RNGs whose streams may
/// change between versions), so the evaluation set never changes under the test.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + (self.next_u64() % (hi - lo + 1) as u64) as usize
    }

    pub fn chance(&mut self, p: f64) -> bool {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }

    pub fn pick<'a, T: ?Sized>(&mut self, xs: &[&'a T]) -> &'a T {
        xs[self.range(0, xs.len() - 1)]
    }

    pub fn shuffle<T>(&mut self, xs: &mut [T]) {
        for i in (1..xs.len()).rev() {
            let j = self.range(0, i);
            xs.swap(i, j);
        }
    }
}

/// One document of the evaluation set.
#[derive(Debug, Clone)]
pub struct Doc {
    /// Documents with the same cluster are the same story.
    pub cluster: usize,
    /// "base", an edit category ("site_title", …) or a negative category ("neg_template", …).
    pub kind: String,
    pub title: String,
    pub text: String,
}

/// A designed pair: a base story and one of its copies (positive) or hard negatives.
#[derive(Debug, Clone)]
pub struct Pair {
    pub a: usize,
    pub b: usize,
    pub same: bool,
    pub kind: String,
}

pub struct Corpus {
    pub docs: Vec<Doc>,
    pub pairs: Vec<Pair>,
}

const FIRST: &[&str] = &[
    "Anna", "Petra", "Karl", "Jonas", "Miriam", "Stefan", "Helga", "Tobias", "Sabine", "Lukas",
    "Ines", "Ralf", "Greta", "Bernd", "Yasemin", "Dirk", "Carla", "Matthias", "Leonie", "Ole",
];
const LAST: &[&str] = &[
    "Beispiel",
    "Muster",
    "Lindqvist",
    "Hoffmeister",
    "Brandtner",
    "Kowalczyk",
    "Seidelmann",
    "Ahrendt",
    "Vogelsang",
    "Quast",
    "Rehberg",
    "Ziegenbein",
    "Osterkamp",
    "Falkner",
    "Wendling",
    "Tiedemann",
    "Kranich",
    "Lorenzen",
    "Haberland",
    "Nussbaum",
];
const MINISTRIES: &[&str] = &[
    "Gesundheitsminister",
    "Verkehrsminister",
    "Finanzminister",
    "Innenminister",
    "Umweltminister",
    "Bildungsminister",
    "Arbeitsminister",
    "Wirtschaftsminister",
    "Bauminister",
    "Agrarminister",
];
const CITIES: &[&str] = &[
    "Berlin",
    "Hamburg",
    "München",
    "Köln",
    "Frankfurt",
    "Stuttgart",
    "Düsseldorf",
    "Leipzig",
    "Dresden",
    "Hannover",
    "Bremen",
    "Nürnberg",
    "Kiel",
    "Mainz",
    "Erfurt",
    "Magdeburg",
    "Schwerin",
    "Potsdam",
    "Saarbrücken",
    "Wiesbaden",
    "Rostock",
    "Kassel",
    "Ulm",
    "Trier",
];
const STATES: &[&str] = &[
    "Niedersachsen",
    "Bayern",
    "Hessen",
    "Sachsen",
    "Thüringen",
    "Brandenburg",
    "Schleswig-Holstein",
    "Rheinland-Pfalz",
    "Nordrhein-Westfalen",
    "Baden-Württemberg",
    "Mecklenburg-Vorpommern",
];
const DAYS: &[&str] = &[
    "Montag",
    "Dienstag",
    "Mittwoch",
    "Donnerstag",
    "Freitag",
    "Samstag",
    "Sonntag",
];
const INSTITUTIONS: &[&str] = &[
    "Der Bundesrat",
    "Der Bundestag",
    "Das Bundeskabinett",
    "Der Landtag",
    "Der Vermittlungsausschuss",
    "Der Stadtrat",
];
const REFORMS: &[&str] = &[
    "Pflegereform",
    "Mietpreisbremse",
    "Wärmewende",
    "Grundsteuerreform",
    "Kitagesetz",
    "Rentenpaket",
    "Krankenhausreform",
    "Bafögreform",
    "Cannabisgesetz",
    "Deutschlandticket",
    "Schuldenbremse",
    "Heizungsgesetz",
    "Bürgergeldreform",
    "Wahlrechtsreform",
    "Lieferkettengesetz",
];
const GROUPS: &[&str] = &[
    "Pflegekräfte",
    "Mieterinnen und Mieter",
    "Familien",
    "Rentnerinnen und Rentner",
    "Studierende",
    "Pendler",
    "Landwirte",
    "kleine Betriebe",
    "Kommunen",
    "Alleinerziehende",
];
const VERBANDS: &[&str] = &[
    "Der Städtetag",
    "Der Sozialverband",
    "Der Mieterbund",
    "Die Gewerkschaft Verdi",
    "Der Bauernverband",
    "Der Handelsverband",
    "Die Verbraucherzentrale",
    "Der Landkreistag",
];
const DEMANDS: &[&str] = &[
    "mehr Geld für die Kommunen",
    "eine schnellere Umsetzung",
    "eine Entlastung bei den Energiekosten",
    "einen Sonderfonds für Schulen",
    "schärfere Kontrollen",
    "ein Tempolimit auf Autobahnen",
    "eine Reform der Schuldenbremse",
    "mehr Personal in den Behörden",
    "eine Obergrenze für Mieterhöhungen",
    "einen Ausbau der Bahnstrecken",
    "weniger Bürokratie für Betriebe",
    "eine Pflicht zur Digitalisierung der Ämter",
];
const THREATS: &[&str] = &[
    "steigenden Kosten",
    "einem Mangel an Fachkräften",
    "Engpässen bei der Versorgung",
    "einer Welle von Insolvenzen",
    "Cyberangriffen auf Behörden",
    "Hitzeschäden in den Städten",
    "einem Stillstand beim Wohnungsbau",
    "wachsender Armut im Alter",
];
const QUOTES: &[&str] = &[
    "Wir dürfen keine Zeit mehr verlieren",
    "Das ist ein guter Tag für alle Beschäftigten",
    "Die Lage ist ernster, als viele glauben",
    "Wir werden das Gesetz nicht aufweichen",
    "Ohne die Länder geht es nicht",
    "Die Menschen erwarten zu Recht Antworten",
    "Wir haben einen tragfähigen Kompromiss gefunden",
    "Das Geld ist da, es muss nur richtig eingesetzt werden",
    "Niemand wird zurückgelassen",
    "Wir stehen erst am Anfang eines langen Weges",
    "Die Zahlen sprechen eine klare Sprache",
    "Jetzt sind die Kommunen am Zug",
];
const ROADS: &[&str] = &[
    "A1", "A2", "A3", "A4", "A5", "A6", "A7", "A8", "A9", "A24", "A44", "A61", "B96", "B27",
];
const VEHICLES: &[&str] = &[
    "ein Lastwagen mit einem Auto",
    "zwei Autos",
    "ein Kleintransporter mit einem Reisebus",
    "ein Motorradfahrer mit einem Auto",
    "ein Sattelzug mit einem Wohnmobil",
];
const TIMES: &[&str] = &[
    "am frühen Morgen",
    "am Vormittag",
    "am Mittag",
    "am Nachmittag",
    "am Abend",
    "in der Nacht",
];
const DIRECTIONS: &[&str] = &["Norden", "Süden", "Osten", "Westen"];
const CAUSES: &[&str] = &[
    "zu hohe Geschwindigkeit",
    "ein geplatzter Reifen",
    "Glätte auf der Fahrbahn",
    "ein missglücktes Überholmanöver",
    "Unachtsamkeit beim Spurwechsel",
];
const COMPANIES: &[&str] = &[
    "Der Maschinenbauer Kranwerk",
    "Der Autozulieferer Velomax",
    "Die Handelskette Frischmarkt",
    "Der Chemiekonzern Solvana",
    "Der Energieversorger Nordstrom",
    "Die Reederei Hanseblau",
    "Der Softwarehersteller Datwerk",
    "Die Brauerei Hopfenau",
    "Der Stahlkonzern Ferrum",
    "Die Fluggesellschaft Aerolux",
];
const NUMWORDS: &[&str] = &["Zwei", "Drei", "Vier", "Fünf", "Sechs", "Sieben", "Acht"];
const REGIONS: &[&str] = &[
    "im Süden Bayerns",
    "an der Nordseeküste",
    "im Harz",
    "im Rheinland",
    "in der Lausitz",
    "im Schwarzwald",
    "in Ostfriesland",
    "im Sauerland",
    "an der Mosel",
    "im Erzgebirge",
];

/// The facts of one story: slot name → value.
type Facts = HashMap<&'static str, String>;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Law,
    Statement,
    Police,
    Company,
    Weather,
}

const KINDS: [Kind; 5] = [
    Kind::Law,
    Kind::Statement,
    Kind::Police,
    Kind::Company,
    Kind::Weather,
];

fn person(r: &mut Rng) -> String {
    format!("{} {}", r.pick(FIRST), r.pick(LAST))
}

fn num(r: &mut Rng, lo: usize, hi: usize) -> String {
    let n = r.range(lo, hi);
    if n >= 1000 {
        format!("{}.{:03}", n / 1000, n % 1000)
    } else {
        n.to_string()
    }
}

/// Facts that name who and where and when (kept by "same actors" negatives).
const ACTOR_SLOTS: &[&str] = &[
    "minister", "ministry", "city", "day", "inst", "company", "ceo", "state", "verband",
];

fn draw_facts(r: &mut Rng) -> Facts {
    let mut f = Facts::new();
    f.insert("minister", person(r));
    f.insert("ministry", r.pick(MINISTRIES).to_string());
    f.insert("city", r.pick(CITIES).to_string());
    f.insert("city2", r.pick(CITIES).to_string());
    f.insert("state", r.pick(STATES).to_string());
    f.insert("day", r.pick(DAYS).to_string());
    f.insert("inst", r.pick(INSTITUTIONS).to_string());
    f.insert("reform", r.pick(REFORMS).to_string());
    f.insert("group", r.pick(GROUPS).to_string());
    f.insert("verband", r.pick(VERBANDS).to_string());
    f.insert("demand", r.pick(DEMANDS).to_string());
    f.insert("demand2", r.pick(DEMANDS).to_string());
    f.insert("threat", r.pick(THREATS).to_string());
    f.insert("quote", r.pick(QUOTES).to_string());
    f.insert("quote2", r.pick(QUOTES).to_string());
    f.insert("road", r.pick(ROADS).to_string());
    f.insert("vehicles", r.pick(VEHICLES).to_string());
    f.insert("time", r.pick(TIMES).to_string());
    f.insert("dir", r.pick(DIRECTIONS).to_string());
    f.insert("cause", r.pick(CAUSES).to_string());
    f.insert("hurt", r.pick(NUMWORDS).to_string());
    f.insert("hours", num(r, 2, 9));
    f.insert("damage", num(r, 8_000, 250_000));
    f.insert("company", r.pick(COMPANIES).to_string());
    f.insert("ceo", person(r));
    f.insert("jobs", num(r, 80, 4_800));
    f.insert("pct", num(r, 2, 19));
    f.insert("bn", format!("{},{}", r.range(1, 12), r.range(1, 9)));
    f.insert("votes", num(r, 300, 420));
    f.insert("against", num(r, 90, 280));
    f.insert(
        "month",
        r.pick(&["Januar", "April", "Juli", "Oktober", "März", "September"])
            .to_string(),
    );
    f.insert("millions", num(r, 2, 21));
    f.insert("region", r.pick(REGIONS).to_string());
    f.insert("rain", num(r, 40, 180));
    f.insert("calls", num(r, 60, 900));
    f.insert("kmh", num(r, 90, 140));
    f.insert(
        "year",
        r.pick(&["2027", "2028", "2029", "2030"]).to_string(),
    );
    f.insert("spokesperson", person(r));
    f
}

/// Title templates and sentence templates per kind. `{slot}` is replaced by the fact. The
/// first sentence template is the lead (who did what, where, when).
fn templates(
    kind: Kind,
) -> (
    &'static [&'static str],
    &'static [&'static str],
    &'static [&'static str],
) {
    match kind {
        Kind::Law => (
            &[
                "{inst} billigt {reform}",
                "{reform}: {inst} stimmt zu",
                "Grünes Licht für {reform}",
            ],
            &[
                "{inst} hat am {day} die umstrittene {reform} gebilligt.",
                "{inst} hat am {day} in {city} mit großer Mehrheit der {reform} zugestimmt.",
            ],
            &[
                "Für das Gesetz stimmten {votes} Abgeordnete, {against} votierten dagegen.",
                "{ministry} {minister} sprach von einem wichtigen Tag für {group}.",
                "„{quote}“, sagte {minister} nach der Abstimmung.",
                "Die Opposition kritisierte, die Finanzierung sei nicht gesichert.",
                "Das Gesetz soll zum 1. {month} in Kraft treten.",
                "Nach Angaben des Ministeriums kostet die Reform rund {bn} Milliarden Euro im Jahr.",
                "{verband} begrüßte die Entscheidung, forderte aber {demand}.",
                "Zuvor hatten sich Bund und Länder nach monatelangem Streit auf einen Kompromiss geeinigt.",
                "Von der Neuregelung sollen nach Schätzungen rund {millions} Millionen Menschen profitieren.",
                "Mehrere Länder hatten zunächst mit einer Anrufung des Vermittlungsausschusses gedroht.",
                "Kritiker bemängeln, dass {group} erst ab {year} spürbar entlastet würden.",
                "Der Entwurf war in den Ausschüssen noch an mehreren Stellen geändert worden.",
            ],
        ),
        Kind::Statement => (
            &[
                "{minister} fordert {demand}",
                "{ministry} warnt vor {threat}",
                "{minister}: „{quote}“",
            ],
            &[
                "{ministry} {minister} hat am {day} in {city} {demand} gefordert.",
                "{ministry} {minister} hat am {day} vor {threat} gewarnt.",
            ],
            &[
                "„{quote}“, sagte {minister} bei einem Treffen mit Vertretern der Länder.",
                "Nach seinen Worten droht ohne rasches Handeln {threat}.",
                "Bis {year} müssten zudem {demand2} umgesetzt werden, sagte {minister}.",
                "{verband} unterstützte den Vorstoß und verlangte {demand2}.",
                "Aus der Opposition kam scharfe Kritik an den Plänen.",
                "Die Kosten bezifferte das Ministerium auf rund {bn} Milliarden Euro.",
                "Betroffen seien bundesweit etwa {millions} Millionen Menschen.",
                "Ein Sprecher des Ministeriums kündigte einen Gesetzentwurf für den Herbst an.",
                "„{quote2}“, fügte {minister} hinzu.",
                "Die Länder reagierten zurückhaltend auf den Vorschlag aus {city}.",
                "Bereits im {month} hatte {minister} ähnliche Forderungen erhoben.",
            ],
        ),
        Kind::Police => (
            &[
                "Polizei meldet Unfall auf der {road}",
                "{hurt} Verletzte bei Unfall auf der {road}",
                "Unfall auf der {road} bei {city}",
            ],
            &[
                "Auf der {road} bei {city} sind {time} {vehicles} zusammengestoßen.",
                "Bei einem Unfall auf der {road} nahe {city} sind {time} {hurt} Menschen verletzt worden.",
            ],
            &[
                "{hurt} Menschen wurden verletzt, wie die Polizei in {city} mitteilte.",
                "Die Autobahn war in Richtung {dir} für {hours} Stunden gesperrt.",
                "Es bildete sich ein Stau von mehreren Kilometern Länge.",
                "Den Sachschaden schätzt die Polizei auf rund {damage} Euro.",
                "Unfallursache war nach ersten Erkenntnissen {cause}.",
                "Ein Rettungshubschrauber brachte einen Schwerverletzten in eine Klinik nach {city2}.",
                "Die Feuerwehr war mit {calls} Einsatzkräften vor Ort.",
                "Die Ermittlungen zur genauen Unfallursache dauern an.",
                "Zeugen werden gebeten, sich bei der Polizei in {city} zu melden.",
                "Erst am Wochenende hatte es auf demselben Abschnitt einen ähnlichen Unfall gegeben.",
            ],
        ),
        Kind::Company => (
            &[
                "{company} streicht {jobs} Stellen",
                "{company} erhöht Preise um {pct} Prozent",
                "{company} baut um",
            ],
            &[
                "{company} will bis {year} rund {jobs} Stellen in Deutschland abbauen.",
                "{company} erhöht zum 1. {month} seine Preise um durchschnittlich {pct} Prozent.",
            ],
            &[
                "Das teilte das Unternehmen am {day} in {city} mit.",
                "Vorstandschef {ceo} begründete den Schritt mit gestiegenen Kosten.",
                "„{quote}“, sagte {ceo}.",
                "Der Umsatz war im vergangenen Quartal um {pct} Prozent gesunken.",
                "Betroffen ist vor allem der Standort {city2}.",
                "Die Gewerkschaft kündigte Widerstand gegen die Pläne an.",
                "Betriebsbedingte Kündigungen sollen nach Möglichkeit vermieden werden.",
                "Die Aktie des Unternehmens gab nach der Mitteilung um {pct} Prozent nach.",
                "{state} kündigte Gespräche mit der Unternehmensführung an.",
                "Insgesamt beschäftigt das Unternehmen weltweit rund {jobs}0 Menschen.",
            ],
        ),
        Kind::Weather => (
            &[
                "Unwetter {region}: {calls} Einsätze",
                "Starkregen sorgt für Chaos {region}",
                "Sturm {region} richtet Schäden an",
            ],
            &[
                "Heftige Unwetter haben {time} {region} zahlreiche Straßen überflutet.",
                "Ein Sturm mit Böen von bis zu {kmh} Kilometern pro Stunde ist {time} über {region} hinweggezogen.",
            ],
            &[
                "Die Feuerwehren rückten zu mehr als {calls} Einsätzen aus.",
                "Innerhalb weniger Stunden fielen bis zu {rain} Liter Regen pro Quadratmeter.",
                "Verletzt wurde nach Angaben der Polizei niemand.",
                "Mehrere Keller liefen voll, umgestürzte Bäume blockierten Straßen.",
                "Der Deutsche Wetterdienst hatte zuvor eine Unwetterwarnung herausgegeben.",
                "In {city} fiel zeitweise der Strom aus.",
                "Der Bahnverkehr zwischen {city} und {city2} war für {hours} Stunden unterbrochen.",
                "Für die kommende Nacht erwarten die Meteorologen eine Beruhigung der Lage.",
                "Die Schäden gehen nach ersten Schätzungen in die Millionen.",
            ],
        ),
    }
}

fn fill(template: &str, f: &Facts) -> String {
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(i) = rest.find('{') {
        out.push_str(&rest[..i]);
        let Some(j) = rest[i..].find('}') else { break };
        let key = &rest[i + 1..i + j];
        out.push_str(f.get(key).map(String::as_str).unwrap_or(key));
        rest = &rest[i + j + 1..];
    }
    out.push_str(rest);
    out
}

/// The shape of a story: which templates, in which order, in which paragraphs.
#[derive(Clone)]
struct Plan {
    kind: Kind,
    title: usize,
    lead: usize,
    body: Vec<usize>,
    /// Sentences per paragraph, summing to 1 + body.len().
    paragraphs: Vec<usize>,
}

fn draw_plan(r: &mut Rng, kind: Kind) -> Plan {
    let (titles, leads, body) = templates(kind);
    let n = r.range(3, 8);
    let mut idx: Vec<usize> = (0..body.len()).collect();
    r.shuffle(&mut idx);
    idx.truncate(n - 1);
    let mut paragraphs = vec![r.range(1, 2).min(n)];
    let mut left = n - paragraphs[0];
    while left > 0 {
        let p = r.range(1, 3).min(left);
        paragraphs.push(p);
        left -= p;
    }
    Plan {
        kind,
        title: r.range(0, titles.len() - 1),
        lead: r.range(0, leads.len() - 1),
        body: idx,
        paragraphs,
    }
}

/// Sentences of the story (lead first).
fn sentences(plan: &Plan, f: &Facts) -> Vec<String> {
    let (_, leads, body) = templates(plan.kind);
    let mut out = vec![fill(leads[plan.lead], f)];
    out.extend(plan.body.iter().map(|&i| fill(body[i], f)));
    out
}

fn layout(sentences: &[String], paragraphs: &[usize]) -> String {
    let mut out = Vec::new();
    let mut i = 0;
    for &p in paragraphs {
        let end = (i + p).min(sentences.len());
        if i < end {
            out.push(sentences[i..end].join(" "));
        }
        i = end;
    }
    if i < sentences.len() {
        out.push(sentences[i..].join(" "));
    }
    out.join("\n")
}

struct Story {
    plan: Plan,
    facts: Facts,
    title: String,
    sentences: Vec<String>,
    text: String,
}

fn build(plan: Plan, facts: Facts) -> Story {
    let (titles, _, _) = templates(plan.kind);
    let title = fill(titles[plan.title], &facts);
    let sentences = sentences(&plan, &facts);
    let text = layout(&sentences, &plan.paragraphs);
    Story {
        plan,
        facts,
        title,
        sentences,
        text,
    }
}

// ---------------------------------------------------------------- republishing edits

const SITES: &[&str] = &[
    "Stadtanzeiger",
    "Kurier",
    "Nordkurier Online",
    "NachrichtenPortal.de",
    "Morgenpost",
    "Rheinische Rundschau",
    "ruhr24.de",
    "Der Landbote",
    "Oberland Zeitung",
    "t-news",
];
const SITE_SEPS: &[&str] = &[" | ", " - ", " – ", " — "];
const OTHER_HEADLINES: &[&str] = &[
    "Streit um die Rente: Was jetzt auf Beschäftigte zukommt",
    "So teuer wird das Deutschlandticket im nächsten Jahr",
    "Warnstreik legt Nahverkehr lahm",
    "Die wichtigsten Fragen und Antworten zur Grundsteuer",
    "Landtag debattiert über Schulessen",
    "Hochwasser: Pegel steigen weiter",
];

/// Title with a site name added, as aggregating sites do.
fn edit_site_title(r: &mut Rng, title: &str) -> String {
    let site = r.pick(SITES);
    if r.chance(0.15) {
        format!("{site} | {title}")
    } else {
        format!("{title}{}{site}", r.pick(SITE_SEPS))
    }
}

fn edit_byline(r: &mut Rng, s: &Story, text: &str) -> String {
    let author = person(r);
    let agency = r.pick(&["dpa", "AFP", "Reuters", "epd", "KNA"]);
    let city = s.facts.get("city").map(String::as_str).unwrap_or("Berlin");
    match r.range(0, 5) {
        0 => format!("Von {author}\n{text}"),
        1 => format!("Von {author} und {}, {agency}\n{text}", person(r)),
        2 => format!("{city} ({agency}) - {text}"),
        3 => format!("{text} ({agency})"),
        4 => format!("{text}\n{author} / {agency}"),
        _ => format!("Von {author}, {city}\n{city} ({agency}) – {text}"),
    }
}

fn edit_boilerplate(r: &mut Rng, text: &str) -> String {
    let mut paras: Vec<String> = text.split('\n').map(str::to_string).collect();
    let line = match r.range(0, 5) {
        0 | 1 => format!("Lesen Sie auch: {}", r.pick(OTHER_HEADLINES)),
        2 => format!("Mehr zum Thema: {}", r.pick(OTHER_HEADLINES)),
        3 => format!(
            "© dpa-infocom, dpa:2611{:02}-99-{:06}/{}",
            r.range(1, 28),
            r.range(0, 999_999),
            r.range(1, 5)
        ),
        4 => "Dieser Artikel wurde automatisch aus dem Nachrichtenkanal der Agentur übernommen."
            .to_string(),
        _ => format!("Foto: {}/dpa", person(r)),
    };
    let at = if line.starts_with('©') || line.starts_with("Dieser") {
        paras.len()
    } else if line.starts_with("Foto") {
        0
    } else {
        r.range(1, paras.len().max(1)).min(paras.len())
    };
    paras.insert(at, line);
    paras.join("\n")
}

fn edit_punctuation(r: &mut Rng, title: &str, text: &str) -> (String, String) {
    let quotes: [(&str, &str); 4] = [("\"", "\""), ("«", "»"), ("»", "«"), ("'", "'")];
    let (open, close) = quotes[r.range(0, quotes.len() - 1)];
    let requote = |s: &str| s.replace('„', open).replace('“', close);
    let mut t = requote(text);
    let mut title = requote(title);
    if r.chance(0.5) {
        t = t.replace('\n', " ");
    } else {
        t = t.replace(". ", ".\n");
    }
    if r.chance(0.5) {
        t = t.replace(", ", " , ").replace("  ", " ");
    }
    if r.chance(0.5) {
        t = t.replace(' ', "  ");
        title = title.replace(':', " -");
    }
    if r.chance(0.3) {
        t = t.replace(" - ", " – ");
    }
    (title, t)
}

/// A cut of wire copy: one paragraph after the first dropped (or, in a story of one or two
/// paragraphs, its last sentence).
fn edit_drop_paragraph(r: &mut Rng, s: &Story, text: &str) -> String {
    let paras: Vec<&str> = text.split('\n').collect();
    if paras.len() >= 3 {
        let drop = r.range(1, paras.len() - 1);
        let kept: Vec<&str> = paras
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != drop)
            .map(|(_, p)| *p)
            .collect();
        return kept.join("\n");
    }
    let n = s.sentences.len();
    if n >= 3 {
        layout(&s.sentences[..n - 1], &s.plan.paragraphs)
    } else {
        text.to_string()
    }
}

fn edit_lead_only(text: &str) -> String {
    text.split('\n').next().unwrap_or(text).to_string()
}

/// Feed summary: the first one or two sentences.
fn edit_summary(r: &mut Rng, s: &Story) -> String {
    let n = r.range(1, 2).min(s.sentences.len());
    s.sentences[..n].join(" ")
}

fn edit_truncate(r: &mut Rng, text: &str) -> String {
    let max = r.range(120, 400);
    if text.chars().count() <= max {
        return text.to_string();
    }
    let cut: String = text.chars().take(max).collect();
    let at = cut.rfind(' ').unwrap_or(cut.len());
    let ending = r.pick(&["…", " […]", " ...", " mehr", ""]);
    format!("{}{ending}", cut[..at].trim_end())
}

const SYNONYMS: &[(&str, &str)] = &[
    ("sagte", "erklärte"),
    ("am Freitag", "am Freitagvormittag"),
    ("am Montag", "am Montagabend"),
    ("am Dienstag", "am Dienstagmittag"),
    ("rund", "etwa"),
    ("mitteilte", "berichtete"),
    ("kritisierte", "bemängelte"),
    ("Abgeordnete", "Parlamentarier"),
    ("zahlreiche", "viele"),
    ("Unternehmen", "Konzern"),
    ("gebilligt", "beschlossen"),
    ("gefordert", "verlangt"),
    ("gewarnt", "eindringlich gewarnt"),
    ("Menschen", "Personen"),
    ("zusammengestoßen", "kollidiert"),
    ("mehr als", "über"),
    ("kündigte", "stellte"),
];

/// A copy editor's touch: one or two words swapped for synonyms.
fn edit_copyedit(r: &mut Rng, text: &str) -> String {
    let mut t = text.to_string();
    let mut idx: Vec<usize> = (0..SYNONYMS.len()).collect();
    r.shuffle(&mut idx);
    let want = r.range(1, 2);
    let mut done = 0;
    for i in idx {
        let (from, to) = SYNONYMS[i];
        if done < want && t.contains(from) {
            t = t.replacen(from, to, 1);
            done += 1;
        }
    }
    t
}

const EDITS: &[&str] = &[
    "site_title",
    "byline",
    "boilerplate",
    "punctuation",
    "lead_only",
    "summary",
    "truncated",
    "copyedit",
    "drop_paragraph",
];

fn apply(r: &mut Rng, s: &Story, edits: &[&str]) -> (String, String) {
    let mut title = s.title.clone();
    let mut text = s.text.clone();
    // Shortening happens first (the republisher takes the teaser), decoration after.
    for e in edits {
        match *e {
            "drop_paragraph" => text = edit_drop_paragraph(r, s, &text),
            "lead_only" => text = edit_lead_only(&text),
            "summary" => text = edit_summary(r, s),
            "truncated" => text = edit_truncate(r, &text),
            _ => {}
        }
    }
    for e in edits {
        match *e {
            "site_title" => title = edit_site_title(r, &title),
            "byline" => text = edit_byline(r, s, &text),
            "boilerplate" => text = edit_boilerplate(r, &text),
            "copyedit" => text = edit_copyedit(r, &text),
            "punctuation" => (title, text) = edit_punctuation(r, &title, &text),
            _ => {}
        }
    }
    (title, text)
}

fn random_combo(r: &mut Rng) -> Vec<&'static str> {
    let mut edits: Vec<&'static str> = EDITS.to_vec();
    r.shuffle(&mut edits);
    let n = r.range(2, 4);
    let mut out: Vec<&'static str> = Vec::new();
    for e in edits {
        let shortening = matches!(e, "lead_only" | "summary" | "truncated" | "drop_paragraph");
        if shortening
            && out
                .iter()
                .any(|o| matches!(*o, "lead_only" | "summary" | "truncated" | "drop_paragraph"))
        {
            continue;
        }
        out.push(e);
        if out.len() == n {
            break;
        }
    }
    out
}

// ---------------------------------------------------------------- hard negatives

/// Same actors, place and day; another event or statement (other topic, numbers, quote,
/// other sentences).
fn neg_same_actors(r: &mut Rng, s: &Story) -> Story {
    let mut facts = draw_facts(r);
    for k in ACTOR_SLOTS {
        if let Some(v) = s.facts.get(k) {
            facts.insert(k, v.clone());
        }
    }
    // Make sure the event differs.
    while facts["reform"] == s.facts["reform"] {
        facts.insert("reform", r.pick(REFORMS).to_string());
    }
    while facts["demand"] == s.facts["demand"] {
        facts.insert("demand", r.pick(DEMANDS).to_string());
    }
    while facts["quote"] == s.facts["quote"] {
        facts.insert("quote", r.pick(QUOTES).to_string());
    }
    let mut plan = draw_plan(r, s.plan.kind);
    plan.title = s.plan.title;
    build(plan, facts)
}

/// Exactly the same templates, other places and numbers (and other names).
fn neg_template(r: &mut Rng, s: &Story) -> Story {
    let mut facts = draw_facts(r);
    for key in ["city", "road", "region", "company", "reform", "minister"] {
        while facts[key] == s.facts[key] {
            let v = match key {
                "city" => r.pick(CITIES).to_string(),
                "road" => r.pick(ROADS).to_string(),
                "region" => r.pick(REGIONS).to_string(),
                "company" => r.pick(COMPANIES).to_string(),
                "reform" => r.pick(REFORMS).to_string(),
                _ => person(r),
            };
            facts.insert(key, v);
        }
    }
    build(s.plan.clone(), facts)
}

/// A later story about the same matter that quotes one or two sentences of the original.
fn neg_followup(r: &mut Rng, s: &Story) -> Story {
    let mut facts = draw_facts(r);
    for k in ACTOR_SLOTS {
        if let Some(v) = s.facts.get(k) {
            facts.insert(k, v.clone());
        }
    }
    let day = r.pick(DAYS).to_string();
    let plan = draw_plan(r, s.plan.kind);
    let fresh = sentences(&plan, &facts);
    let (titles, _, _) = templates(s.plan.kind);
    let topic = fill(titles[s.plan.title], &s.facts);
    let opener = match r.range(0, 2) {
        0 => format!("Nach der Meldung „{topic}“ vom {} hat sich am {day} die Debatte weiter zugespitzt.", s.facts["day"]),
        1 => format!("Einen Tag nach dem Bericht über {topic} gibt es am {day} neue Entwicklungen."),
        _ => format!("Die Diskussion um {topic} geht weiter: Am {day} meldeten sich weitere Stimmen zu Wort."),
    };
    let quoted_n = r.range(1, 2).min(s.sentences.len());
    let start = r.range(0, s.sentences.len() - quoted_n);
    let quoted = s.sentences[start..start + quoted_n].join(" ");
    let mut sents = vec![opener];
    sents.extend(fresh.iter().skip(1).take(2).cloned());
    sents.push(format!("Bereits am {} hieß es: {quoted}", s.facts["day"]));
    sents.extend(fresh.iter().skip(3).cloned());
    let text = layout(&sents, &[1, 2, 2, 3]);
    let title = match r.range(0, 2) {
        0 => format!(
            "Nach {}: Kritik wächst",
            s.facts
                .get("reform")
                .map(String::as_str)
                .unwrap_or("Entscheidung")
        ),
        1 => format!("Reaktionen auf „{topic}“"),
        _ => format!("{topic}: Wie geht es weiter?"),
    };
    Story {
        plan,
        facts,
        title,
        sentences: sents,
        text,
    }
}

/// Generates `n_base` base stories with their copies and hard negatives.
pub fn corpus(seed: u64, n_base: usize) -> Corpus {
    let mut r = Rng::new(seed);
    let mut docs: Vec<Doc> = Vec::new();
    let mut pairs: Vec<Pair> = Vec::new();
    let mut cluster = 0usize;
    for i in 0..n_base {
        let kind = KINDS[i % KINDS.len()];
        let plan = draw_plan(&mut r, kind);
        let base = build(plan, draw_facts(&mut r));
        let base_cluster = cluster;
        cluster += 1;
        let base_id = docs.len();
        docs.push(Doc {
            cluster: base_cluster,
            kind: "base".into(),
            title: base.title.clone(),
            text: base.text.clone(),
        });
        let mut variants: Vec<(String, Vec<&'static str>)> =
            EDITS.iter().map(|e| (e.to_string(), vec![*e])).collect();
        for _ in 0..3 {
            variants.push(("combo".into(), random_combo(&mut r)));
        }
        for (name, edits) in variants {
            let (title, text) = apply(&mut r, &base, &edits);
            pairs.push(Pair {
                a: base_id,
                b: docs.len(),
                same: true,
                kind: name.clone(),
            });
            let kind = if name == "combo" {
                format!("combo:{}", edits.join("+"))
            } else {
                name
            };
            docs.push(Doc {
                cluster: base_cluster,
                kind,
                title,
                text,
            });
        }
        let negatives = [
            ("neg_same_actors", neg_same_actors(&mut r, &base)),
            ("neg_template", neg_template(&mut r, &base)),
            ("neg_followup", neg_followup(&mut r, &base)),
        ];
        for (name, neg) in negatives {
            let neg_cluster = cluster;
            cluster += 1;
            pairs.push(Pair {
                a: base_id,
                b: docs.len(),
                same: false,
                kind: name.into(),
            });
            docs.push(Doc {
                cluster: neg_cluster,
                kind: name.into(),
                title: neg.title.clone(),
                text: neg.text.clone(),
            });
            // The negative is republished too; its copy must not join the base either.
            let edits = random_combo(&mut r);
            let (title, text) = apply(&mut r, &neg, &edits);
            pairs.push(Pair {
                a: base_id,
                b: docs.len(),
                same: false,
                kind: format!("{name}_copy"),
            });
            docs.push(Doc {
                cluster: neg_cluster,
                kind: format!("{name}_copy"),
                title,
                text,
            });
        }
    }
    Corpus { docs, pairs }
}

// ---------------------------------------------------------------- newsroom-scale stream

/// One document of the newsroom stream.
#[derive(Debug, Clone)]
pub struct WireDoc {
    /// Documents with the same story number are copies of one story.
    pub story: u64,
    /// Stories with the same topic number report on one event (or are one template family):
    /// alike in wording, different stories.
    pub topic: u64,
    /// "original", "same_event", "followup", "template" or `copy:<edits>`.
    pub kind: String,
    pub title: String,
    pub text: String,
}

const SYL_HEAD: &[&str] = &[
    "Ober", "Unter", "Nieder", "Alt", "Neu", "Groß", "Klein", "Hohen", "Lind", "Rot", "Weiß",
    "Schwarz", "Eichen", "Tann", "Mühl", "Stein", "Wald", "Berg", "Kirch", "Sand", "Holz", "Wolfs",
    "Hasel", "Fried", "Marien", "Wester", "Oster", "Sonnen", "Brunn", "Elm",
];
const SYL_MID: &[&str] = &["", "en", "els", "ers", "ling", "har", "dor"];
const SYL_TAIL: &[&str] = &[
    "bach", "berg", "dorf", "feld", "hausen", "heim", "ingen", "stadt", "burg", "au", "hofen",
    "kirchen", "rode", "stedt", "walde", "brück", "beck", "furt", "hagen", "tal", "see", "leben",
    "born", "weiler",
];
const SUR_HEAD: &[&str] = &[
    "Ham", "Ber", "Kes", "Lin", "Mar", "Wen", "Rott", "Sie", "Hal", "Brink", "Mos", "Fal", "Gra",
    "Kol", "Pet", "Sto", "Wal", "Zim", "Dor", "Eck", "Har", "Mel", "Ros", "Trau",
];
const SUR_TAIL: &[&str] = &[
    "mann", "ler", "ner", "berg", "stein", "hoff", "meier", "rich", "ke", "bach", "er", "feld",
    "hagen", "wald", "inger", "brecht", "holt", "sen",
];

/// An invented place: about 5,000 of them.
fn place(r: &mut Rng) -> String {
    format!(
        "{}{}{}",
        r.pick(SYL_HEAD),
        r.pick(SYL_MID),
        r.pick(SYL_TAIL)
    )
}

/// An invented person: about 9,000 of them.
fn wire_person(r: &mut Rng) -> String {
    format!("{} {}{}", r.pick(FIRST), r.pick(SUR_HEAD), r.pick(SUR_TAIL))
}

/// Agency formulas that wire copy repeats in story after story: attributions, "nach
/// Angaben der Polizei", statements that nothing more is known. One to three go into a
/// story; their shingles are shared with thousands of unrelated stories.
const FORMULAS: &[&str] = &[
    "Das teilte ein Sprecher am {day} in {city} mit.",
    "Wie die Polizei am {day} mitteilte, dauern die Ermittlungen an.",
    "Nach Angaben der Polizei wurde niemand schwer verletzt.",
    "Weitere Einzelheiten waren zunächst nicht bekannt.",
    "Eine Stellungnahme lag zunächst nicht vor.",
    "Das sagte {minister} am {day} in {city}.",
    "Ein Sprecher bestätigte am {day} einen entsprechenden Bericht.",
    "Die Hintergründe sind noch unklar.",
    "Die Staatsanwaltschaft hat die Ermittlungen aufgenommen.",
    "Eine offizielle Bestätigung gab es zunächst nicht.",
    "Zuvor hatte die Deutsche Presse-Agentur darüber berichtet.",
    "Mit einer Entscheidung wird in den kommenden Wochen gerechnet.",
    "Das teilte das Ministerium am {day} in {city} mit.",
    "Wie ein Sprecher der Stadt {city} sagte, wird die Lage weiter beobachtet.",
    "Nach Angaben eines Sprechers ist die Lage inzwischen unter Kontrolle.",
    "Die Polizei bittet Zeugen, sich zu melden.",
    "Nähere Angaben machte die Behörde nicht.",
    "Das geht aus einer Mitteilung vom {day} hervor.",
    "Ob es Verletzte gab, war zunächst unklar.",
    "Eine Sprecherin wollte sich dazu nicht äußern.",
];

/// Template kinds whose stories differ only in places and numbers: weather warnings,
/// results, market reports, traffic. (title, sentences)
const TEMPLATE_FAMILIES: &[(&str, &[&str])] = &[
    (
        "Unwetterwarnung für den Landkreis {place}",
        &[
            "Der Deutsche Wetterdienst hat für den Landkreis {place} eine Unwetterwarnung herausgegeben.",
            "Erwartet werden Sturmböen mit Geschwindigkeiten bis {kmh} Kilometer pro Stunde.",
            "Die Warnung gilt ab {hour} Uhr und vorerst bis {hour2} Uhr.",
            "In Staulagen sind Niederschlagsmengen bis {rain} Liter pro Quadratmeter möglich.",
            "Die Behörden raten, Aufenthalte im Freien zu vermeiden.",
        ],
    ),
    (
        "{team1} schlägt {team2} mit {g1}:{g2}",
        &[
            "Der {team1} hat am {day} sein Heimspiel gegen den {team2} mit {g1}:{g2} gewonnen.",
            "Vor {fans} Zuschauern brachte {scorer} die Gastgeber in der {minute}. Minute in Führung.",
            "Mit dem Sieg verbessert sich der {team1} auf Tabellenplatz {rank}.",
            "Der {team2} wartet damit seit {games} Spielen auf einen Sieg.",
            "Das nächste Spiel bestreitet der {team1} am kommenden Wochenende auswärts.",
        ],
    ),
    (
        "Dax schließt bei {points} Punkten",
        &[
            "Der Deutsche Aktienindex hat am {day} mit einem Plus von {pct2} Prozent bei {points} Punkten geschlossen.",
            "Gefragt waren vor allem die Papiere von {company}, die um {pct} Prozent zulegten.",
            "Der Euro kostete am Abend {eur} US-Dollar.",
            "Händler verwiesen auf die Zinserwartungen vor der Sitzung der Notenbank.",
            "Der Umsatz an der Frankfurter Börse lag bei {bn} Milliarden Euro.",
        ],
    ),
    (
        "Stau auf der {road} bei {place}",
        &[
            "Auf der {road} zwischen {place} und {place2} staut sich der Verkehr auf {km} Kilometern.",
            "Grund ist eine Baustelle kurz vor der Anschlussstelle {place}.",
            "Autofahrer müssen mit einer Verzögerung von rund {minutes} Minuten rechnen.",
            "Die Polizei empfiehlt, die Strecke über {place2} zu umfahren.",
            "Die Arbeiten sollen noch bis {month} dauern.",
        ],
    ),
];

/// Facts of a newsroom story: the evaluation's facts with invented places and people, so
/// that a million stories stay distinct events.
fn newsroom_facts(r: &mut Rng) -> Facts {
    let mut f = draw_facts(r);
    for k in ["city", "city2"] {
        let v = if r.chance(0.5) {
            r.pick(CITIES).to_string()
        } else {
            place(r)
        };
        f.insert(k, v);
    }
    for k in ["minister", "ceo", "spokesperson"] {
        f.insert(k, wire_person(r));
    }
    template_facts(r, &mut f);
    f
}

/// The place-and-number slots of the template families.
fn template_facts(r: &mut Rng, f: &mut Facts) {
    f.insert("place", place(r));
    f.insert("place2", place(r));
    f.insert("team1", format!("SV {}", place(r)));
    f.insert("team2", format!("FC {}", place(r)));
    f.insert("g1", r.range(1, 5).to_string());
    f.insert("g2", r.range(0, 3).to_string());
    f.insert("fans", num(r, 800, 45_000));
    f.insert("scorer", wire_person(r));
    f.insert("minute", r.range(2, 89).to_string());
    f.insert("rank", r.range(1, 18).to_string());
    f.insert("games", r.range(2, 14).to_string());
    f.insert("points", num(r, 14_000, 19_999));
    f.insert("pct2", format!("0,{}", r.range(1, 99)));
    f.insert("eur", format!("1,{:04}", r.range(0, 2_500)));
    f.insert("hour", r.range(0, 23).to_string());
    f.insert("hour2", r.range(0, 23).to_string());
    f.insert("km", r.range(2, 25).to_string());
    f.insert("minutes", r.range(10, 90).to_string());
    f.insert("road", r.pick(ROADS).to_string());
}

/// A story with one to three agency formulas woven in after the lead.
fn with_formulas(r: &mut Rng, mut s: Story) -> Story {
    let n = r.range(1, 3);
    for _ in 0..n {
        let at = r.range(1, s.sentences.len());
        let formula = fill(r.pick(FORMULAS), &s.facts);
        s.sentences.insert(at, formula);
    }
    let mut paragraphs = s.plan.paragraphs.clone();
    if let Some(last) = paragraphs.last_mut() {
        *last += n;
    }
    s.plan.paragraphs = paragraphs;
    s.text = layout(&s.sentences, &s.plan.paragraphs);
    s
}

fn template_story(r: &mut Rng, family: usize, facts: Facts) -> Story {
    let (title, sents) = TEMPLATE_FAMILIES[family];
    let sentences: Vec<String> = sents.iter().map(|t| fill(t, &facts)).collect();
    let paragraphs = vec![1, 2, 2];
    let text = layout(&sentences, &paragraphs);
    let _ = r;
    Story {
        plan: Plan {
            kind: Kind::Weather,
            title: 0,
            lead: 0,
            body: Vec::new(),
            paragraphs,
        },
        title: fill(title, &facts),
        facts,
        sentences,
        text,
    }
}

/// Streams `n` documents of a newsroom corpus from `seed`: topics of one to four stories
/// (an event and other stories about it, or a template family), each story followed by
/// 0–3 republished copies with random edits (on average about 0.7).
pub fn newsroom(seed: u64, n: usize) -> impl Iterator<Item = WireDoc> {
    let mut r = Rng::new(seed);
    let mut topic = 0u64;
    let mut story = 0u64;
    let mut queue: std::collections::VecDeque<WireDoc> = std::collections::VecDeque::new();
    std::iter::from_fn(move || {
        while queue.is_empty() {
            topic += 1;
            let mut stories: Vec<(&'static str, Story)> = Vec::new();
            if r.chance(0.3) {
                // A template family: one to four stories, same wording, other places and
                // numbers.
                let family = r.range(0, TEMPLATE_FAMILIES.len() - 1);
                let base = newsroom_facts(&mut r);
                for _ in 0..r.range(1, 4) {
                    let mut f = base.clone();
                    template_facts(&mut r, &mut f);
                    stories.push(("template", template_story(&mut r, family, f)));
                }
            } else {
                let kind = KINDS[r.range(0, KINDS.len() - 1)];
                let plan = draw_plan(&mut r, kind);
                let base = build(plan, newsroom_facts(&mut r));
                for _ in 0..r.range(0, 2) {
                    let other = if r.chance(0.6) {
                        ("same_event", neg_same_actors(&mut r, &base))
                    } else {
                        ("followup", neg_followup(&mut r, &base))
                    };
                    stories.push(other);
                }
                stories.insert(0, ("original", base));
            }
            for (kind, s) in stories {
                let s = with_formulas(&mut r, s);
                story += 1;
                queue.push_back(WireDoc {
                    story,
                    topic,
                    kind: kind.to_string(),
                    title: s.title.clone(),
                    text: s.text.clone(),
                });
                let copies = match r.range(0, 9) {
                    0..=4 => 0,
                    5..=7 => 1,
                    8 => 2,
                    _ => 3,
                };
                for _ in 0..copies {
                    let edits = if r.chance(0.5) {
                        vec![EDITS[r.range(0, EDITS.len() - 1)]]
                    } else {
                        random_combo(&mut r)
                    };
                    let (title, text) = apply(&mut r, &s, &edits);
                    queue.push_back(WireDoc {
                        story,
                        topic,
                        kind: format!("copy:{}", edits.join("+")),
                        title,
                        text,
                    });
                }
            }
        }
        queue.pop_front()
    })
    .take(n)
}
