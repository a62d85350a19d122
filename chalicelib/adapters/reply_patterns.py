"""What mail clients write around a reply, per language: the data reply extraction reads.

Pure data, one table per kind of line. To teach Relais a new client or language, add a row
here; `adapters/replies.py` compiles the tables once and never holds a phrase of its own.
Phrases are matched case-insensitively, with any run of spaces (non-breaking included)
standing for one space. Keys are ISO 639-1 codes, and are only there for the reader.
"""
from __future__ import annotations

# --- "On <date>, <name> wrote:" ------------------------------------------------------------
# The verb that ends an attribution line, right before its colon. The line must also hold a
# digit or an address, and be short (replies.ATTRIBUTION_MAX characters, over at most
# replies.ATTRIBUTION_LINES lines). "a écrit à l'usager :" is prose: the verb is not last.
ATTRIBUTION_VERBS: dict[str, tuple[str, ...]] = {
    "en": ("wrote", "writes", "sent", "said"),
    "fr": ("a écrit", "a ecrit", "écrit", "écrivait", "a envoyé"),
    "de": ("schrieb", "schrieb am", "hat geschrieben", "geschrieben"),
    "nl": ("schreef", "geschreven"),
    "lb": ("geschriwwen", "huet geschriwwen", "schreift"),
    "da": ("skrev", "skrev følgende"),
    "sv": ("skrev", "skrev följande"),
    "no": ("skrev", "skreiv"),
    "is": ("skrifaði",),
    "pl": ("napisał", "napisała", "napisał(a)", "pisze"),
    "cs": ("napsal", "napsala", "napsal(a)", "napsal/a"),
    "sk": ("napísal", "napísala", "napísal(a)"),
    "sl": ("napisal", "napisala", "je napisal", "je napisala", "je napisal(a)"),
    "hr": ("napisao", "napisala", "je napisao", "je napisala", "je napisao/la"),
    "bs": ("napisao", "napisala"),
    "sr": ("написао", "написала", "napisao"),
    "es": ("escribió", "escribio"),
    "ca": ("va escriure", "ha escrit"),
    "pt": ("escreveu",),
    "it": ("ha scritto", "scrisse", "ha scritto:"),
    "ro": ("a scris",),
    "fi": ("kirjoitti",),
    "et": ("kirjutas", "kirjutas:"),
    "lv": ("rakstīja",),
    "lt": ("rašė", "parašė"),
    "hu": ("írta", "írt", "ezt írta"),
    "el": ("έγραψε",),
    "bg": ("написа",),
    "mt": ("kiteb",),
    "ga": ("scríobh",),
    "ru": ("написал", "написала", "написал(а)", "пишет"),
    "uk": ("написав", "написала", "пише"),
    "tr": ("yazdı",),
    "vi": ("đã viết", "viết"),
    "ar": ("كتب",),
    "zh": ("写道",),
    "ja": ("のメッセージ", "書きました"),
}

# Attributions whose verb comes first and the date after: "<name> heeft het volgende
# geschreven op <date>:". The line starts or holds this phrase, and ends with a colon.
ATTRIBUTION_PHRASES: dict[str, tuple[str, ...]] = {
    "nl": ("het volgende geschreven", "schreef op"),
    "de": ("schrieb am",),
    "hu": ("írta a következőt",),
}

# The words an attribution opens with ("On", "Le", "Am"...). Only needed when a client splits
# the attribution over several lines with blank lines between (Polymail: "On <date> <name>",
# blank, "<addr>", "> wrote:").
ATTRIBUTION_OPENINGS: dict[str, tuple[str, ...]] = {
    "en": ("on",), "fr": ("le",), "de": ("am",), "nl": ("op",), "da": ("den", "d."), "sv": ("den",),
    "no": ("på", "den"), "pl": ("w dniu", "dnia"), "cs": ("dne",), "sk": ("dňa",), "sl": ("dne",),
    "es": ("el",), "ca": ("el",), "pt": ("em", "no dia"), "it": ("il",), "ro": ("în", "pe"),
    "vi": ("vào",), "el": ("στις",), "hr": ("dana",), "lt": ("on",),
}

# Attributions written as a rule: "---- Name wrote ----", "----- Le message de X -----".
RULED_ATTRIBUTION_WORDS: tuple[str, ...] = (
    "wrote", "a écrit", "schrieb", "schreef", "skrev", "escribió", "escreveu", "ha scritto",
    "napisał", "kirjoitti", "írta", "написал", "đã viết",
)

# --- separators that open the quoted message ------------------------------------------------
# Lines that are only this phrase, dashes, underscores, stars or '>' around it, and an
# optional colon. "original": what follows is the message replied to (history). "forward":
# what follows is a forwarded message, content the author passes on.
SEPARATORS: dict[str, dict[str, tuple[str, ...]]] = {
    "original": {
        "en": ("original message", "original e-mail", "reply message", "reply"),
        "fr": ("message d'origine", "message original", "courriel d'origine", "message initial"),
        "de": ("ursprüngliche nachricht", "ursprüngliche e-mail", "originalnachricht",
               "antwort nachricht", "ursprüngliche mitteilung"),
        "nl": ("oorspronkelijk bericht", "origineel bericht", "oorspronkelijk e-mailbericht"),
        "da": ("oprindelig meddelelse", "original meddelelse"),
        "sv": ("ursprungligt meddelande", "originalmeddelande"),
        "no": ("opprinnelig melding", "original melding"),
        "pl": ("oryginalna wiadomość", "wiadomość oryginalna", "oryginalna wiadomosc"),
        "cs": ("původní zpráva", "puvodni zprava"),
        "sk": ("pôvodná správa",),
        "sl": ("izvirno sporočilo", "originalno sporočilo"),
        "hr": ("izvorna poruka", "originalna poruka"),
        "es": ("mensaje original",),
        "ca": ("missatge original",),
        "pt": ("mensagem original",),
        "it": ("messaggio originale",),
        "ro": ("mesaj original", "mesajul original"),
        "fi": ("alkuperäinen viesti",),
        "et": ("algne kiri", "algsõnum"),
        "lv": ("sākotnējā ziņa", "oriģinālā ziņa"),
        "lt": ("pradinis laiškas", "originalus laiškas"),
        "hu": ("eredeti üzenet",),
        "el": ("αρχικό μήνυμα",),
        "bg": ("оригинално съобщение",),
        "ru": ("исходное сообщение", "оригинальное сообщение", "исходное письмо"),
        "uk": ("оригінальне повідомлення", "вихідне повідомлення"),
        "tr": ("orijinal mesaj", "özgün ileti"),
    },
    "forward": {
        "en": ("forwarded message", "begin forwarded message", "forwarded e-mail",
               "forwarded email", "forwarded mail"),
        "fr": ("message transféré", "début du message réexpédié", "message réexpédié",
               "courriel transféré", "e-mail transféré", "message transmis"),
        "de": ("weitergeleitete nachricht", "anfang der weitergeleiteten nachricht",
               "anfang der weitergeleiteten e-mail", "weitergeleitete e-mail"),
        "nl": ("doorgestuurd bericht", "begin doorgestuurd bericht", "doorgestuurd e-mailbericht"),
        "da": ("videresendt meddelelse", "videresendt besked", "start på videresendt besked"),
        "sv": ("vidarebefordrat meddelande", "vidarebefordrat brev", "vidarebefordrat mejl",
               "början på vidarebefordrat brev"),
        "no": ("videresendt melding", "videresendt e-post", "begynnelse på videresendt melding"),
        "pl": ("przekazana wiadomość", "wiadomość przekazana", "początek przekazywanej wiadomości"),
        "cs": ("přeposlaná zpráva", "začátek přeposlané zprávy"),
        "sk": ("preposlaná správa",),
        "sl": ("posredovano sporočilo",),
        "hr": ("proslijeđena poruka",),
        "es": ("mensaje reenviado", "inicio del mensaje reenviado"),
        "ca": ("missatge reenviat",),
        "pt": ("mensagem encaminhada", "início da mensagem reencaminhada", "mensagem reencaminhada"),
        "it": ("messaggio inoltrato", "inizio messaggio inoltrato"),
        "ro": ("mesaj redirecționat", "mesaj redirectionat", "mesaj transmis"),
        "fi": ("välitetty viesti", "edelleenlähetetty viesti"),
        "et": ("edasi saadetud kiri", "edastatud kiri"),
        "lv": ("pārsūtīta ziņa",),
        "lt": ("persiųstas laiškas",),
        "hu": ("továbbított üzenet",),
        "el": ("προωθημένο μήνυμα",),
        "bg": ("препратено съобщение",),
        "ru": ("пересылаемое сообщение", "пересланное сообщение"),
        "uk": ("переслане повідомлення",),
        "tr": ("iletilen mesaj",),
    },
}

# A subject whose first prefix is one of these is a forward: the first header of its body opens
# the forwarded message (Outlook forwards with the same "-----Original Message-----" or header
# block as a reply). "RE: FW: ..." is a reply to a forward: its first prefix is "RE".
FORWARD_SUBJECT_PREFIXES: tuple[str, ...] = (
    "fw", "fwd", "tr", "trs", "wg", "wtr", "rv", "enc", "i", "inoltro", "doorst", "fs", "vs", "vb",
    "vl", "pd", "prosl", "továbbítás", "továbbított", "edasi", "pārs", "pr", "ilt", "пересл", "πρθ",
)

# --- header blocks: "From: / Sent: / To: / Subject:" ----------------------------------------
# A block is at least two consecutive lines "<name>: value" (optionally in *bold*), the
# first naming the sender; one of the others must be a date, recipient or subject. "De :
# notre côté, le dossier est complet." alone is prose.
HEADER_NAMES: dict[str, dict[str, tuple[str, ...]]] = {
    "from": {
        "en": ("from",), "fr": ("de", "expéditeur", "envoyé par"), "de": ("von", "absender"),
        "nl": ("van", "afzender"), "da": ("fra", "afsender"), "sv": ("från", "avsändare"),
        "no": ("fra", "avsender"), "pl": ("od", "nadawca"), "cs": ("od", "odesílatel"),
        "sk": ("od", "odosielateľ"), "sl": ("od", "pošiljatelj"), "hr": ("šalje", "od", "pošiljatelj"),
        "es": ("de", "remitente"), "ca": ("de",), "pt": ("de", "remetente"), "it": ("da", "mittente"),
        "ro": ("de la", "expeditor"), "fi": ("lähettäjä",), "et": ("saatja", "kellelt"),
        "lv": ("no", "sūtītājs"), "lt": ("nuo", "siuntėjas"), "hu": ("feladó",),
        "el": ("από", "αποστολέας"), "bg": ("от", "подател"), "ru": ("от", "от кого", "отправитель"),
        "uk": ("від", "відправник"), "tr": ("kimden", "gönderen"), "vi": ("từ", "người gửi"),
    },
    "date": {
        "en": ("sent", "date", "sent on"), "fr": ("envoyé", "date", "envoyé le"),
        "de": ("gesendet", "datum", "gesendet am"), "nl": ("verzonden", "datum", "verstuurd"),
        "da": ("sendt", "dato"), "sv": ("skickat", "datum", "skickades"), "no": ("sendt", "dato"),
        "pl": ("wysłane", "wysłano", "data"), "cs": ("odesláno", "datum"), "sk": ("odoslané", "dátum"),
        "sl": ("poslano", "datum"), "hr": ("poslano", "datum"), "es": ("enviado", "fecha", "enviado el"),
        "ca": ("enviat", "data"), "pt": ("enviado", "enviada", "data", "enviado em"),
        "it": ("inviato", "data", "inviato il"), "ro": ("trimis", "data"), "fi": ("lähetetty", "päivämäärä"),
        "et": ("saadetud", "kuupäev"), "lv": ("nosūtīts", "datums"), "lt": ("išsiųsta", "data"),
        "hu": ("elküldve", "küldve", "dátum"), "el": ("στάλθηκε", "ημερομηνία"),
        "bg": ("изпратено", "дата"), "ru": ("отправлено", "дата"), "uk": ("надіслано", "дата"),
        "tr": ("gönderildi", "tarih"), "vi": ("đã gửi", "ngày"),
    },
    "to": {
        "en": ("to", "cc", "bcc"), "fr": ("à", "a", "pour", "destinataire", "cc", "cci"),
        "de": ("an", "cc", "kopie", "empfänger"), "nl": ("aan", "cc"), "da": ("til", "cc"),
        "sv": ("till", "kopia", "cc"), "no": ("til", "kopi", "cc"), "pl": ("do", "dw", "kopia"),
        "cs": ("komu", "kopie", "cc"), "sk": ("komu", "kópia"), "sl": ("za", "kp"),
        "hr": ("prima", "za", "kopija"), "es": ("para", "cc", "destinatario"), "ca": ("per a", "a"),
        "pt": ("para", "cc"), "it": ("a", "cc", "destinatario"), "ro": ("către", "catre", "cc"),
        "fi": ("vastaanottaja", "kopio"), "et": ("adressaat", "kellele", "koopia"),
        "lv": ("kam", "saņēmējs"), "lt": ("kam", "gavėjas"), "hu": ("címzett", "másolat"),
        "el": ("προς", "κοιν"), "bg": ("до", "копие"), "ru": ("кому", "копия"), "uk": ("кому", "копія"),
        "tr": ("kime", "bilgi"), "vi": ("đến", "tới", "cc"),
    },
    "subject": {
        "en": ("subject",), "fr": ("objet", "sujet"), "de": ("betreff",), "nl": ("onderwerp",),
        "da": ("emne",), "sv": ("ämne",), "no": ("emne",), "pl": ("temat",), "cs": ("předmět",),
        "sk": ("predmet",), "sl": ("zadeva",), "hr": ("predmet",), "es": ("asunto",), "ca": ("assumpte",),
        "pt": ("assunto",), "it": ("oggetto",), "ro": ("subiect",), "fi": ("aihe",), "et": ("teema",),
        "lv": ("tēma",), "lt": ("tema",), "hu": ("tárgy",), "el": ("θέμα",), "bg": ("относно",),
        "ru": ("тема",), "uk": ("тема",), "tr": ("konu",), "vi": ("chủ đề",),
    },
}

# --- mobile and webmail footers --------------------------------------------------------------
# A line starting with one of these is the client's footer, not the author's text.
FOOTERS: dict[str, tuple[str, ...]] = {
    "en": ("sent from my", "sent from outlook", "sent from mail for windows", "sent from yahoo mail",
           "sent from samsung mobile", "sent from the", "sent via", "sent with proton mail",
           "get outlook for", "sent from samsung", "sent from gmail"),
    "fr": ("envoyé de mon", "envoyé depuis mon", "envoyé depuis l'application", "envoyé à partir de",
           "envoyé de yahoo mail", "envoyé depuis yahoo mail", "envoyé depuis outlook", "envoyé de outlook",
           "envoyé de mail pour", "envoyé depuis mail pour", "envoyé de l'application mail", "envoyé avec proton",
           "envoyé de l'application", "envoyé avec", "obtenir outlook pour", "télécharger outlook pour",
           "envoyé de mon appareil", "envoyé depuis un"),
    "de": ("von meinem", "gesendet von meinem", "gesendet von", "gesendet mit", "outlook für"),
    "nl": ("verzonden vanaf mijn", "verstuurd vanaf mijn", "verzonden met", "verzonden vanuit",
           "outlook voor"),
    "da": ("sendt fra min", "sendt fra"),
    "sv": ("skickat från min", "skickat från"),
    "no": ("sendt fra min", "sendt fra"),
    "pl": ("wysłane z mojego", "wysłane z", "wysłano z"),
    "cs": ("odesláno z", "odesláno ze"),
    "sk": ("odoslané z",),
    "es": ("enviado desde mi", "enviado desde", "obtener outlook para"),
    "pt": ("enviado do meu", "enviado do", "enviado a partir do"),
    "it": ("inviato da", "inviato dal mio", "scarica outlook per"),
    "ro": ("trimis de pe", "trimis din"),
    "fi": ("lähetetty", "lähetetty iphonesta"),
    "hu": ("iphone-ról küldve", "küldve"),
    "el": ("στάλθηκε από",),
    "ru": ("отправлено с", "отправлено из"),
    "uk": ("надіслано з",),
}

# --- sign-offs ------------------------------------------------------------------------------
# A line that is only one of these (and punctuation, or a short name after it) opens the
# signature, when what follows it looks like a signature (replies.signature_start).
SIGN_OFFS: dict[str, tuple[str, ...]] = {
    "fr": ("cordialement", "bien cordialement", "très cordialement", "bien à vous", "bien à toi",
           "sincères salutations", "salutations distinguées", "salutations", "meilleures salutations",
           "respectueusement", "avec mes remerciements", "merci d'avance", "merci par avance",
           "bonne journée", "bonne fin de journée", "belle journée", "bonne soirée", "à bientôt",
           "amicalement", "cdlt", "bien à vous tous", "en vous remerciant"),
    "en": ("best regards", "kind regards", "regards", "best", "thanks", "thank you", "cheers",
           "sincerely", "yours sincerely", "yours faithfully", "all the best", "warm regards",
           "many thanks"),
    "de": ("mit freundlichen grüßen", "mit freundlichen grüssen", "freundliche grüße",
           "freundliche grüsse", "viele grüße", "viele grüsse", "beste grüße", "beste grüsse",
           "liebe grüße", "gruß", "gruss", "mfg", "herzliche grüße"),
    "lb": ("mat beschte gréiss", "beschte gréiss"),
    "nl": ("met vriendelijke groet", "met vriendelijke groeten", "vriendelijke groet",
           "vriendelijke groeten", "groeten", "groet", "met hartelijke groet", "mvg"),
    "da": ("med venlig hilsen", "venlig hilsen", "mvh", "hilsen", "de bedste hilsner"),
    "sv": ("med vänliga hälsningar", "vänliga hälsningar", "mvh", "hälsningar"),
    "no": ("med vennlig hilsen", "vennlig hilsen", "mvh", "hilsen"),
    "pl": ("pozdrawiam", "z poważaniem", "z wyrazami szacunku", "serdecznie pozdrawiam"),
    "cs": ("s pozdravem", "s přátelským pozdravem", "děkuji"),
    "sk": ("s pozdravom", "s úctou"),
    "sl": ("lep pozdrav", "s spoštovanjem", "lp"),
    "hr": ("srdačan pozdrav", "s poštovanjem", "lijep pozdrav"),
    "es": ("saludos", "un saludo", "saludos cordiales", "atentamente", "cordialmente",
           "un cordial saludo"),
    "ca": ("salutacions", "atentament"),
    "pt": ("cumprimentos", "atenciosamente", "com os melhores cumprimentos", "melhores cumprimentos",
           "abraço"),
    "it": ("cordiali saluti", "distinti saluti", "saluti", "un saluto", "buona giornata"),
    "ro": ("cu stimă", "cu respect", "toate cele bune", "o zi bună"),
    "fi": ("ystävällisin terveisin", "terveisin", "parhain terveisin"),
    "et": ("lugupidamisega", "parimate soovidega"),
    "lv": ("ar cieņu", "ar labākajiem vēlējumiem"),
    "lt": ("pagarbiai", "su pagarba"),
    "hu": ("üdvözlettel", "tisztelettel", "üdv"),
    "el": ("με εκτίμηση", "φιλικά"),
    "bg": ("поздрави", "с уважение"),
    "ru": ("с уважением", "всего доброго", "спасибо"),
    "uk": ("з повагою",),
    "mt": ("dejjem tiegħek",),
}

# Lines that open a legal disclaimer or an environmental footer, cut with what follows.
DISCLAIMERS: tuple[str, ...] = (
    "ce message et toutes les pièces jointes", "ce message et les pièces jointes",
    "ce courriel et les pièces jointes", "ce message électronique et", "ce message est confidentiel",
    "ce courriel est confidentiel", "ce message et ses pièces jointes", "avertissement :",
    "avant d'imprimer", "pensez à l'environnement", "merci de penser à l'environnement",
    "this e-mail and any attachments", "this email and any attachments", "this message is confidential",
    "this message and any attachments", "please consider the environment",
    "diese e-mail enthält vertrauliche", "diese nachricht ist vertraulich",
    "dit bericht is uitsluitend bestemd", "este mensaje y sus anexos", "questo messaggio e i suoi allegati",
    "ce message et ses annexes", "ce courriel et ses annexes", "avis de confidentialité",
    "avertissement de confidentialité", "clause de confidentialité", "disclaimer:", "disclaimer :",
    "confidentiality notice", "confidentiality note", "important notice:", "this e-mail is confidential",
    "dit bericht en eventuele bijlagen", "dit e-mailbericht en eventuele bijlagen", "vertrouwelijkheidsclausule",
    "aviso de confidencialidad", "aviso legal", "este correo electrónico y sus anexos",
    "vertraulichkeitshinweis", "haftungsausschluss", "diese e-mail und ihre anhänge",
    "avviso di riservatezza", "questo messaggio e gli eventuali allegati", "informativa sulla privacy",
    "aviso de confidencialidade", "esta mensagem e os seus anexos",
)

# --- greetings ------------------------------------------------------------------------------
# An extraction that is only one of these (and a name) said nothing: it is not trusted.
GREETINGS: tuple[str, ...] = (
    "bonjour", "bonsoir", "salut", "madame", "monsieur", "madame, monsieur", "mesdames, messieurs",
    "cher", "chère", "chers collègues", "hello", "hi", "hey", "dear", "good morning", "hallo",
    "guten tag", "sehr geehrte", "sehr geehrter", "liebe", "lieber", "moin", "goedemorgen",
    "goedendag", "beste", "hej", "hei", "dzień dobry", "witam", "dobrý den", "hola", "buenos días",
    "estimado", "estimada", "olá", "bom dia", "caro", "cara", "buongiorno", "salve", "bună ziua",
    "hyvää päivää", "moi", "jó napot", "tere", "labdien", "laba diena", "καλημέρα", "здравствуйте",
    "добрый день", "привет", "добрий день", "xin chào", "chào",
)

# --- Relais's own emails --------------------------------------------------------------------
# Lines of the emails Relais sends (templates/email/*.txt). Found outside any recognised
# quote, they mean the history was quoted in a way no table above knows: extraction then cuts
# before them and asks the agent to check (replies.Extraction.review).
OWN_EMAIL_LINES: tuple[str, ...] = (
    r"répondez simplement à cet e-mail",
    r"vous transmet la demande d'un usager \(dossier",
    r"relais – services publics\+\. vous recevez ce message",
    r"relais - services publics\+\. vous recevez ce message",
    r"si vous n'êtes pas le bon interlocuteur, répondez",
    r"ce qui est attendu : une réponse à l'agent",
    r"voir le dossier : https?://\S+/dossiers/",
)
