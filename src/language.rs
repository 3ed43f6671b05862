//! The corpus language: which stemmer and stop words the analyzer uses.

use serde::{Deserialize, Deserializer, Serialize};
use tantivy::tokenizer::Language as Stemming;

/// A language the analyzer supports, by its ISO 639-1 code in the config (`language = "fr"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Default)]
#[serde(rename_all = "lowercase")]
#[allow(missing_docs)]
pub enum Language {
    #[default]
    Fr,
    En,
    De,
    Es,
    It,
    Pt,
    Nl,
    Da,
    Fi,
    Hu,
    No,
    Ro,
    Ru,
    Sv,
    Tr,
    Ar,
    El,
    Ta,
}

impl Language {
    /// Every supported language.
    pub const ALL: &'static [Language] = &[
        Language::Fr,
        Language::En,
        Language::De,
        Language::Es,
        Language::It,
        Language::Pt,
        Language::Nl,
        Language::Da,
        Language::Fi,
        Language::Hu,
        Language::No,
        Language::Ro,
        Language::Ru,
        Language::Sv,
        Language::Tr,
        Language::Ar,
        Language::El,
        Language::Ta,
    ];

    /// The config code: `fr`, `en`, …
    pub const fn code(self) -> &'static str {
        match self {
            Language::Fr => "fr",
            Language::En => "en",
            Language::De => "de",
            Language::Es => "es",
            Language::It => "it",
            Language::Pt => "pt",
            Language::Nl => "nl",
            Language::Da => "da",
            Language::Fi => "fi",
            Language::Hu => "hu",
            Language::No => "no",
            Language::Ro => "ro",
            Language::Ru => "ru",
            Language::Sv => "sv",
            Language::Tr => "tr",
            Language::Ar => "ar",
            Language::El => "el",
            Language::Ta => "ta",
        }
    }

    /// The language as `whatlang` names it.
    pub const fn detected_as(self) -> whatlang::Lang {
        use whatlang::Lang;
        match self {
            Language::Fr => Lang::Fra,
            Language::En => Lang::Eng,
            Language::De => Lang::Deu,
            Language::Es => Lang::Spa,
            Language::It => Lang::Ita,
            Language::Pt => Lang::Por,
            Language::Nl => Lang::Nld,
            Language::Da => Lang::Dan,
            Language::Fi => Lang::Fin,
            Language::Hu => Lang::Hun,
            Language::No => Lang::Nob,
            Language::Ro => Lang::Ron,
            Language::Ru => Lang::Rus,
            Language::Sv => Lang::Swe,
            Language::Tr => Lang::Tur,
            Language::Ar => Lang::Ara,
            Language::El => Lang::Ell,
            Language::Ta => Lang::Tam,
        }
    }

    /// tantivy's stemmer (and stop-word) language.
    pub const fn stemming(self) -> Stemming {
        match self {
            Language::Fr => Stemming::French,
            Language::En => Stemming::English,
            Language::De => Stemming::German,
            Language::Es => Stemming::Spanish,
            Language::It => Stemming::Italian,
            Language::Pt => Stemming::Portuguese,
            Language::Nl => Stemming::Dutch,
            Language::Da => Stemming::Danish,
            Language::Fi => Stemming::Finnish,
            Language::Hu => Stemming::Hungarian,
            Language::No => Stemming::Norwegian,
            Language::Ro => Stemming::Romanian,
            Language::Ru => Stemming::Russian,
            Language::Sv => Stemming::Swedish,
            Language::Tr => Stemming::Turkish,
            Language::Ar => Stemming::Arabic,
            Language::El => Stemming::Greek,
            Language::Ta => Stemming::Tamil,
        }
    }
}

impl std::str::FromStr for Language {
    type Err = String;

    fn from_str(code: &str) -> Result<Language, String> {
        Language::ALL
            .iter()
            .copied()
            .find(|l| l.code() == code)
            .ok_or_else(|| {
                let codes: Vec<&str> = Language::ALL.iter().map(|l| l.code()).collect();
                format!("unknown language {code:?}; use one of {}", codes.join(", "))
            })
    }
}

impl<'de> Deserialize<'de> for Language {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Language, D::Error> {
        let code = String::deserialize(deserializer)?;
        code.parse().map_err(serde::de::Error::custom)
    }
}

impl std::fmt::Display for Language {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_through_the_config_format() {
        for &language in Language::ALL {
            let text = format!("\"{}\"", language.code());
            let parsed: Language = serde_json::from_str(&text).unwrap();
            assert_eq!(parsed, language);
        }
        assert!(serde_json::from_str::<Language>("\"klingon\"").is_err());
    }
}
