//! French. Words that read the same in both languages today (labels such as "hash" or
//! "Version", units) are repeated here so that every text has its French entry.

use super::*;

/// `count` avec le nom accordé : « 0 article », « 1 article », « 2 articles » (en français, 0 et
/// 1 sont au singulier).
fn compte(count: usize, singulier: &str, pluriel: &str) -> String {
    format!("{count} {}", if count <= 1 { singulier } else { pluriel })
}

/// « 1 paragraphe », « 2 paragraphes ».
fn paragraphes(count: usize) -> String {
    compte(count, "paragraphe", "paragraphes")
}

/// « 1 article », « 2 articles ».
fn articles(count: usize) -> String {
    compte(count, "article", "articles")
}

/// French Discord texts.
pub(super) static MESSAGES: Messages = Messages {
    commands: CommandTexts {
        ask: CommandText {
            name: "demander",
            description:
                "Posez une question sur la couverture ; les réponses citent les articles mot pour mot.",
            options: &[
                OptionText {
                    name: "question",
                    description: "Votre question",
                },
                OptionText {
                    name: "resultats",
                    description: "Nombre de résultats (1 à 5)",
                },
                OptionText {
                    name: "public",
                    description: "Publier la réponse dans le salon plutôt qu'en aperçu privé",
                },
                OptionText {
                    name: "media",
                    description: "Seulement les articles de ce média",
                },
                OptionText {
                    name: "apres",
                    description: "Seulement les articles datés de ce jour ou après (AAAA-MM-JJ)",
                },
                OptionText {
                    name: "avant",
                    description: "Seulement les articles datés de ce jour ou avant (AAAA-MM-JJ)",
                },
                OptionText {
                    name: "article",
                    description: "Seulement cet article",
                },
            ],
        },
        find_sources: CommandText {
            name: "Trouver les sources",
            description: "Trouver les passages les plus proches d'un message : vérifier une affirmation.",
            options: &[],
        },
        source: CommandText {
            name: "source",
            description: "Citer un article, ou un paragraphe exact de celui-ci.",
            options: &[
                OptionText {
                    name: "fichier",
                    description: "Fichier de l'article (tapez pour chercher noms et titres)",
                },
                OptionText {
                    name: "paragraphe",
                    description: "Numéro du paragraphe",
                },
            ],
        },
        sources: CommandText {
            name: "sources",
            description: "Lister les articles du corpus.",
            options: &[],
        },
        status: CommandText {
            name: "etat",
            description: "État de l'index : articles, passages, fichiers ignorés, âge, version.",
            options: &[],
        },
        reindex: CommandText {
            name: "reindexer",
            description: "Reconstruire l'index depuis le dossier du corpus (Gérer le serveur).",
            options: &[],
        },
        add: CommandText {
            name: "ajouter",
            description: "Ajouter un article du web ou un fichier joint au corpus et l'indexer (Gérer le serveur).",
            options: &[
                OptionText {
                    name: "url",
                    description: "L'adresse de l'article (http ou https)",
                },
                OptionText {
                    name: "fichier",
                    description: "Un fichier à ajouter : .html, .htm, .md ou .txt",
                },
            ],
        },
        remove: CommandText {
            name: "retirer",
            description: "Mettre un article à la corbeille et réindexer ; il peut être restauré (Gérer le serveur).",
            options: &[OptionText {
                name: "fichier",
                description: "Fichier de l'article (tapez pour chercher noms et titres)",
            }],
        },
    },
    answer: AnswerText {
        footer: "Citations verbatim ; vérifiez-les avec /source fichier paragraphe",
        footer_shared: |user| format!("Partagé par {user} · citations verbatim ; vérifiez-les avec /source"),
        truncated: |left_out| format!("Tronqué : {left_out} résultat(s) de plus ne tenaient pas."),
        question_cut: |max| format!("Votre question a été coupée à ses {max} premiers caractères."),
        post_publicly: "Publier",
        posted: "Publié",
        more_results: "Plus de résultats",
        scope: |kept, total| format!(
            "Filtre : {} sur {total}.",
            compte(kept, "article cherché", "articles cherchés")
        ),
    },
    abstention: AbstentionText {
        no_terms: "Votre question ne contient aucun mot cherchable. Essayez quelques mots-clés, p. ex. `Azure Israël surveillance`.",
        not_covered: "Aucun passage du corpus ne répond à cette question.",
        out_of_scope: "Aucun article ne correspond à ce filtre (un article sans date ne correspond jamais à un filtre de date).",
        nearest: "Articles les plus proches :",
    },
    source: SourceText {
        file: "Fichier",
        paragraphs: "Paragraphes",
        outlet: "Média",
        date: "Date",
        author: "Auteur",
        url: "URL",
        card_hint: "Texte intégral en pièce jointe. Citez un paragraphe avec `/source fichier paragraphe:N`.",
        card_footer: |hash| format!("hash {hash}"),
        paragraph_truncated:
            "Tronqué : le paragraphe est plus long ; voir l'article joint avec /source.",
        bytes: "bytes",
        hash: "hash",
        unknown: |name| format!("`{name}` n'est pas un article du corpus."),
        did_you_mean: "Vouliez-vous dire :",
        unknown_paragraph: |file, requested, count| {
            format!("{file} a {} ; il n'y a pas de paragraphe {requested}", paragraphes(count))
        },
    },
    sources: SourcesText {
        title: "Corpus",
        empty: "Le corpus est vide.",
        previous: "◀ Précédent",
        next: "Suivant ▶",
        page: |page, pages| format!("Page {page}/{pages}"),
    },
    status: StatusText {
        title: "coverage-bot status",
        articles: "Articles",
        passages: "Passages",
        index_age: "Âge de l'index",
        age: short_age,
        build_time: "Durée de construction",
        millis: |millis| format!("{millis} ms"),
        version: "Version",
        version_value: |version, analyzer| format!("{version} (analyzer {analyzer})"),
        semantic: "Réponses sémantiques",
        semantic_value: |s| match &s.model {
            Some(model) if s.embedded => format!(
                "actives ({:?}), modèle sha256 {}, phrases {}",
                s.mode,
                model.sha256.get(..16).unwrap_or(&model.sha256),
                match (s.stored_sentences, s.compact) {
                    (true, true) => "stockées avec l'index, en compact",
                    (true, false) => "stockées avec l'index",
                    _ => "relues à la question",
                }
            )
            .to_lowercase(),
            Some(model) => format!("modèle sha256 {} chargé ; calcul des vecteurs des passages en cours (réponses lexicales d'ici là)", model.sha256.get(..16).unwrap_or(&model.sha256)),
            None => format!("inactives ({:?}) : `coverage-bot model install` les active", s.mode).to_lowercase(),
        },
        reindexing: "Réindexation",
        yes: "yes",
        no: "no",
        stale: "⚠ Index pas à jour",
        warning: "⚠ Avertissement",
        skipped: "Fichiers ignorés",
    },
    reindex: ReindexText {
        rebuilt: |count, passages, millis| {
            format!(
                "Index reconstruit : {}, {} en {millis} ms.",
                articles(count),
                compte(passages, "passage", "passages")
            )
        },
        interrupted: "Réindexation interrompue ; l'index précédent reste en service.",
        removed: |file, count| format!("`{file}` est à la corbeille ; l'index compte maintenant {}. L'hôte peut le restaurer avec `coverage-bot restore {file}`.", articles(count)),
        remove_failed: |reason| format!("Rien n'a été déplacé : {reason}"),
        added: |file, count| format!("`{file}` ajouté ({}) et indexé.", paragraphes(count)),
        already_there: |file| format!("Le corpus a déjà cet article : `{file}`."),
        add_failed: |reason| format!("Rien n'a été ajouté : {reason}"),
        add_one_of: "Donnez soit `url:`, soit `fichier:`, l'un des deux.",
    },
    notice: NoticeText {
        cooldown: |seconds| format!("Doucement : réessayez dans {seconds} s."),
        missing_permission: "Il faut la permission « Gérer le serveur » pour cette commande.",
        channel: "Ce bot ne répond pas dans ce salon.",
        guild_only: "Cette commande ne fonctionne que dans un serveur.",
        invalid_options: "Paramètres invalides ; vérifiez la commande.",
        nothing_to_check: "Ce message ne contient pas de texte à vérifier.",
        bad_date: |given| format!("`{given}` n'est pas une date : écrivez-la AAAA-MM-JJ, p. ex. 2024-03-05."),
        empty_period: |after, before| format!("La période est vide : le {after} vient après le {before}."),
        buttons_expired: "Ces boutons ont expiré ; reposez la question.",
        already_posted: "Cette réponse a déjà été publiée.",
        error: "Une erreur s'est produite de notre côté ; elle a été journalisée. Réessayez.",
    },
    audit: AuditText {
        published: "a publié",
        added: "a ajouté",
        removed: "a mis à la corbeille",
        restored: "a restauré",
        reindexed: "a reconstruit l'index",
    },
};
