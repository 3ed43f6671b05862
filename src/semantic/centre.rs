//! The model's centre: the mean of its passage vectors over a fixed set of varied texts.
//! e5's vectors share a large common component (unrelated texts have cosines of about 0.83), so
//! stored vectors keep only their difference from it ([`super::vectors`]), which is about half
//! as long and rounds with half the error. The centre depends on the model alone, never on the
//! corpus, so a passage's stored vector is the same in every generation and cache, and a
//! rebuild from scratch gives the same bytes as an incremental one.
//!
//! Measured on piaf-dev: rows centred on piaf-dev's own mean vector move cosines by 0.0025 on
//! average at 4 bits; on news-dev's mean, 0.0026; on the mean of eight unrelated sentences,
//! 0.0032; uncentred, 0.0046. The texts below (news, encyclopaedic and everyday sentences in
//! French, English and a few other languages, with numbers) stand for the corpora users bring.

use super::{Encoder, ModelResult, Prefix};

/// The texts the centre is the mean of. Changing them changes every stored vector: the cache and
/// the generations record the centre, and vectors stored with another one are recomputed.
const TEXTS: &[&str] = &[
    "Le gouvernement a présenté mercredi son projet de budget pour l'année prochaine.",
    "Les députés ont adopté le texte en première lecture par 312 voix contre 198.",
    "La grève des contrôleurs aériens a perturbé le trafic dans plusieurs aéroports.",
    "Selon l'Insee, le chômage a reculé de 0,2 point au troisième trimestre.",
    "Le maire a annoncé la fermeture provisoire de la piscine municipale.",
    "L'équipe de France s'est qualifiée pour la finale après un match serré.",
    "Les pompiers sont intervenus vers 3 h du matin dans un immeuble du centre-ville.",
    "Le tribunal a condamné l'ancien directeur à deux ans de prison avec sursis.",
    "Les prix de l'énergie ont augmenté de 15 % en un an, selon le ministère.",
    "La Loire prend sa source au mont Gerbier-de-Jonc, en Ardèche.",
    "Victor Hugo a publié Les Misérables en 1862.",
    "La photosynthèse transforme l'énergie lumineuse en énergie chimique.",
    "Le festival accueillera cette année plus de 40 000 visiteurs.",
    "Il pleuvait depuis le matin et la route était glissante.",
    "Nous avons rendez-vous chez le médecin jeudi à 14 h 30.",
    "Les chercheurs ont observé une baisse de la biodiversité dans les zones humides.",
    "The central bank raised interest rates by a quarter of a percentage point.",
    "Officials said the fire had been brought under control by Sunday evening.",
    "The company reported a net loss of $2.3 billion for the second quarter.",
    "Voters will head to the polls next month in a closely watched election.",
    "The river flows north for about 600 kilometres before reaching the sea.",
    "Shakespeare wrote Hamlet around the year 1600.",
    "The museum reopened after a two-year renovation of its main galleries.",
    "Scientists warn that the glacier could disappear within decades.",
    "She bought bread, cheese and a bottle of milk on her way home.",
    "The match was postponed because of heavy snow.",
    "Die Regierung hat neue Maßnahmen gegen die Inflation angekündigt.",
    "El presidente se reunió con los líderes regionales en Madrid.",
    "Il consiglio comunale ha approvato il nuovo piano urbanistico.",
    "O governo anunciou um novo programa de habitação social.",
    "Het parlement stemde in met de nieuwe klimaatwet.",
    "Rząd przedstawił projekt reformy systemu emerytalnego.",
];

/// The mean of the model's passage vectors over [`TEXTS`] (not normalised).
pub(super) fn compute(encoder: &Encoder) -> ModelResult<Vec<f32>> {
    let vectors = encoder.embed(TEXTS, Prefix::Passage)?;
    let mut centre = vec![0f32; encoder.dimension()];
    for vector in &vectors {
        for (sum, value) in centre.iter_mut().zip(vector) {
            *sum += value;
        }
    }
    let count = vectors.len().max(1) as f32;
    centre.iter_mut().for_each(|v| *v /= count);
    Ok(centre)
}
