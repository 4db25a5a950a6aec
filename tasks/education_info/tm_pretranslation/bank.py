"""The product's UI strings with their German and French translations, and the termbase.

ALE-CANARY-c9c412cf-b3cf-4391-a5a6-f487eff09d92

Each entry: key, English source, German and French targets, and optionally an older English wording
with its translations (the TM's fuzzy candidates). Plural entries hold the [one, other] forms.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Entry:
    key: str
    en: str
    de: str
    fr: str
    older: tuple[str, str, str] | None = None  # an earlier wording: (en, de, fr)

    def target(self, lang: str) -> str:
        return self.de if lang == "de" else self.fr


ENTRIES: list[Entry] = [
    Entry("files.upload.button", "Upload files", "Dateien hochladen", "Importer des fichiers"),
    Entry("files.folder.new", "New folder", "Neuer Ordner", "Nouveau dossier"),
    Entry("files.delete.confirm", "Delete {count} files from this folder?",
          "{count} Dateien aus diesem Ordner löschen?", "Supprimer {count} fichiers de ce dossier ?",
          ("Delete the selected files from this folder?", "Ausgewählte Dateien aus diesem Ordner löschen?",
           "Supprimer les fichiers sélectionnés de ce dossier ?")),
    Entry("files.trash.empty", "Empty the trash - this cannot be undone.",
          "Papierkorb leeren - dies kann nicht rückgängig gemacht werden.",
          "Vider la corbeille - cette action est irréversible."),
    Entry("files.trash.retention", "Items in the trash are deleted after 30 days.",
          "Elemente im Papierkorb werden nach 30 Tagen gelöscht.",
          "Les éléments de la corbeille sont supprimés après 30 jours.",
          ("Items in the trash are permanently deleted after 30 days.",
           "Elemente im Papierkorb werden nach 30 Tagen endgültig gelöscht.",
           "Les éléments de la corbeille sont définitivement supprimés après 30 jours.")),
    Entry("files.move.done", "The file %s was moved to {destination}.", "Die Datei %s wurde nach {destination} verschoben.",
          "Le fichier %s a été déplacé vers {destination}.",
          ("The file %s was moved to {destination} by {user}.",
           "Die Datei %s wurde von {user} nach {destination} verschoben.",
           "Le fichier %s a été déplacé vers {destination} par {user}.")),
    Entry("files.size.limit", "Files larger than {size} cannot be uploaded.",
          "Dateien, die größer als {size} sind, können nicht hochgeladen werden.",
          "Les fichiers de plus de {size} ne peuvent pas être importés.",
          ("Files over {size} can't be uploaded.", "Dateien über {size} können nicht hochgeladen werden.",
           "Les fichiers de plus de {size} ne peuvent pas être importés.")),
    Entry("files.rename.error", "<b>{name}</b> could not be renamed.", "<b>{name}</b> konnte nicht umbenannt werden.",
          "Impossible de renommer <b>{name}</b>."),
    Entry("files.conflict", "A file named <b>{name}</b> already exists in this folder.",
          "Eine Datei namens <b>{name}</b> ist in diesem Ordner bereits vorhanden.",
          "Un fichier nommé <b>{name}</b> existe déjà dans ce dossier.",
          ("A file named {name} already exists in the folder.",
           "Eine Datei namens {name} ist im Ordner bereits vorhanden.",
           "Un fichier nommé {name} existe déjà dans le dossier.")),
    Entry("sync.status.paused", "Sync paused", "Synchronisierung angehalten", "Synchronisation suspendue"),
    Entry("sync.status.progress", "Syncing %1$s of %2$s files", "%1$s von %2$s Dateien werden synchronisiert",
          "Synchronisation de %1$s fichiers sur %2$s"),
    Entry("sync.error.offline", "You are offline. Changes will sync when you reconnect.",
          "Sie sind offline. Änderungen werden synchronisiert, sobald Sie wieder verbunden sind.",
          "Vous êtes hors ligne. Les modifications seront synchronisées à la reconnexion.",
          ("You are offline. Your changes will sync when you reconnect.",
           "Sie sind offline. Ihre Änderungen werden synchronisiert, sobald Sie wieder verbunden sind.",
           "Vous êtes hors ligne. Vos modifications seront synchronisées à la reconnexion.")),
    Entry("sync.retry", "Retrying in 15 seconds…", "Neuer Versuch in 15 Sekunden…", "Nouvelle tentative dans 15 secondes…"),
    Entry("account.password.reset", "Reset your password", "Passwort zurücksetzen", "Réinitialiser votre mot de passe"),
    Entry("account.password.rules", "Your password needs at least 12 characters.<br/>Use letters and numbers.",
          "Ihr Passwort muss mindestens 12 Zeichen enthalten.<br/>Verwenden Sie Buchstaben und Ziffern.",
          "Votre mot de passe doit contenir au moins 12 caractères.<br/>Utilisez des lettres et des chiffres.",
          ("Your password needs at least 12 characters. Use letters and numbers.",
           "Ihr Passwort muss mindestens 12 Zeichen enthalten. Verwenden Sie Buchstaben und Ziffern.",
           "Votre mot de passe doit contenir au moins 12 caractères. Utilisez des lettres et des chiffres.")),
    Entry("account.delete.warning", "Deleting your account removes all files in your workspace.",
          "Wenn Sie Ihr Konto löschen, werden alle Dateien in Ihrem Arbeitsbereich entfernt.",
          "La suppression de votre compte efface tous les fichiers de votre espace de travail."),
    Entry("account.signed_in", "Signed in as <b>%s</b>", "Angemeldet als <b>%s</b>", "Connecté en tant que <b>%s</b>"),
    Entry("account.storage.used", "{used} of {quota} used", "{used} von {quota} belegt", "{used} utilisés sur {quota}"),
    Entry("settings.title", "Settings", "Einstellungen", "Paramètres"),
    Entry("settings.saved", "Your settings have been saved.", "Ihre Einstellungen wurden gespeichert.",
          "Vos paramètres ont été enregistrés.",
          ("Settings saved.", "Einstellungen gespeichert.", "Paramètres enregistrés.")),
    Entry("settings.language.hint", "Changes apply after a restart, e.g. the menu language.",
          "Änderungen gelten nach einem Neustart, z. B. die Menüsprache.",
          "Les modifications s'appliquent après un redémarrage, p. ex. la langue des menus."),
    Entry("settings.export.hint", "Export your settings as config.json - keep it private.",
          "Exportieren Sie Ihre Einstellungen als config.json - bewahren Sie sie sicher auf.",
          "Exportez vos paramètres au format config.json - gardez-le confidentiel."),
    Entry("workspace.invite", "Invite people to <i>{team_name}</i>", "Personen zu <i>{team_name}</i> einladen",
          "Inviter des personnes dans <i>{team_name}</i>",
          ("Invite people to your workspace", "Personen zu Ihrem Arbeitsbereich einladen",
           "Inviter des personnes dans votre espace de travail")),
    Entry("workspace.members", "This workspace has %d members.", "Dieser Arbeitsbereich hat %d Mitglieder.",
          "Cet espace de travail compte %d membres."),
    Entry("workspace.leave", "Leave workspace", "Arbeitsbereich verlassen", "Quitter l'espace de travail"),
    Entry("share.link.copied", "Link copied to clipboard", "Link in die Zwischenablage kopiert",
          "Lien copié dans le presse-papiers"),
    Entry("share.link.expires", "Anyone with this link can view it until {date}.",
          "Jeder mit diesem Link kann ihn bis {date} ansehen.",
          "Toute personne disposant de ce lien peut le consulter jusqu'au {date}.",
          ("Anyone with this link can view it until {date} {time}.",
           "Jeder mit diesem Link kann ihn bis {date} {time} ansehen.",
           "Toute personne disposant de ce lien peut le consulter jusqu'au {date} {time}.")),
    Entry("share.notify", "We will email %s when the folder is shared.",
          "Wir benachrichtigen %s per E-Mail, wenn der Ordner freigegeben ist.",
          "Nous enverrons un e-mail à %s lorsque le dossier sera partagé."),
    Entry("status.label", "Status", "Status", "Statut"),
    Entry("about.version", "Version %s", "Version %s", "Version %s"),
    Entry("nav.notifications", "Notifications", "Benachrichtigungen", "Notifications"),
    Entry("nav.team", "Team", "Team", "Équipe"),
    Entry("nav.options", "Options", "Optionen", "Options"),
    Entry("help.shortcuts", "Press <b>Ctrl</b> + <b>K</b> to search.", "Drücken Sie <b>Strg</b> + <b>K</b>, um zu suchen.",
          "Appuyez sur <b>Ctrl</b> + <b>K</b> pour rechercher."),
    Entry("help.contact", "Need help? Contact support - we reply within 24 hours.",
          "Brauchen Sie Hilfe? Kontaktieren Sie den Support - wir antworten innerhalb von 24 Stunden.",
          "Besoin d'aide ? Contactez le support - nous répondons sous 24 heures.",
          ("Need help? Contact support - we usually reply within 24 hours.",
           "Brauchen Sie Hilfe? Kontaktieren Sie den Support - wir antworten meist innerhalb von 24 Stunden.",
           "Besoin d'aide ? Contactez le support - nous répondons généralement sous 24 heures.")),
    Entry("editor.autosave", "All changes saved at {time}", "Alle Änderungen um {time} gespeichert",
          "Toutes les modifications enregistrées à {time}"),
    Entry("editor.offline.copy", "Editing an offline copy.<br/>Your edits will be merged later.",
          "Sie bearbeiten eine Offline-Kopie.<br/>Ihre Änderungen werden später zusammengeführt.",
          "Vous modifiez une copie hors ligne.<br/>Vos modifications seront fusionnées plus tard."),
]

BUTTONS: list[Entry] = [  # short labels repeated across dialogs
    Entry("cancel", "Cancel", "Abbrechen", "Annuler"),
    Entry("save", "Save", "Speichern", "Enregistrer"),
    Entry("close", "Close", "Schließen", "Fermer"),
    Entry("retry", "Try again", "Erneut versuchen", "Réessayer"),
    Entry("learn_more", "Learn more", "Weitere Informationen", "En savoir plus"),
    Entry("delete", "Delete", "Löschen", "Supprimer"),
    Entry("rename", "Rename", "Umbenennen", "Renommer"),
]

PLURALS: list[tuple[str, tuple[str, str], tuple[str, str], tuple[str, str]]] = [  # key, en, de, fr [one, other]
    ("files.deleted", ("One file deleted", "%d files deleted"), ("Eine Datei gelöscht", "%d Dateien gelöscht"),
     ("Un fichier supprimé", "%d fichiers supprimés")),
    ("folders.shared", ("One folder shared with {name}", "%d folders shared with {name}"),
     ("Ein Ordner für {name} freigegeben", "%d Ordner für {name} freigegeben"),
     ("Un dossier partagé avec {name}", "%d dossiers partagés avec {name}")),
    ("members.online", ("One member online", "%d members online"), ("Ein Mitglied online", "%d Mitglieder online"),
     ("Un membre en ligne", "%d membres en ligne")),
    ("sync.pending", ("One change waiting to sync", "%d changes waiting to sync"),
     ("Eine Änderung wartet auf Synchronisierung", "%d Änderungen warten auf Synchronisierung"),
     ("Une modification en attente de synchronisation", "%d modifications en attente de synchronisation")),
    ("trash.items", ("One item in the trash", "%d items in the trash"),
     ("Ein Element im Papierkorb", "%d Elemente im Papierkorb"),
     ("Un élément dans la corbeille", "%d éléments dans la corbeille")),
]

LOCKED: list[tuple[str, str]] = [  # key, source: brand names and technical strings kept as they are
    ("app.name", "Northwind Drive"),
    ("app.bundle_id", "com.northwind.drive"),
    ("legal.company", "Northwind Software GmbH"),
    ("settings.title.locked", "Settings"),
]

# source term -> (German term, German deprecated variant, French term, French deprecated variant)
TERMS: dict[str, tuple[str, str, str, str]] = {
    "folder": ("Ordner", "Verzeichnis", "dossier", "répertoire"),
    "password": ("Passwort", "Kennwort", "mot de passe", "code d'accès"),
    "settings": ("Einstellungen", "Optionen", "paramètres", "réglages"),
    "trash": ("Papierkorb", "Mülleimer", "corbeille", "poubelle"),
    "workspace": ("Arbeitsbereich", "Workspace", "espace de travail", "espace collaboratif"),
    "account": ("Konto", "Account", "compte", "profil"),
}
