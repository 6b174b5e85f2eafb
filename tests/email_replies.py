"""A corpus of replies as the major mail clients write them, in many languages.

Each case is what a customer's client sends: the customer's new text, then the history
in the client's own form (attribution and ``>`` quote, header block, "original message"
marker) in the client's language. ``reply`` is what the customer wrote this time.
"""

from __future__ import annotations

from attrs import define

__all__ = ["CASES", "LANGUAGES", "Case"]


@define(frozen=True)
class Case:
    client: str
    language: str
    text: str
    reply: str

    @property
    def id(self) -> str:
        return f"{self.client}-{self.language}"


HISTORY = ["Your parcel 44-1902 left our warehouse today.", "", "Kind regards,", "Orchard Support"]
QUOTED = "\n".join(f"> {line}" if line else ">" for line in HISTORY)
PLAIN = "\n".join(HISTORY)
SUPPORT = "Orchard Support <help@orchard.example>"

REPLIES = {
    "en": "Thanks, it arrived today.\nThe lid is cracked though.",
    "de": "Danke, es ist heute angekommen.\nDer Deckel ist aber gesprungen.",
    "fr": "Merci, il est arrivé aujourd'hui.\nLe couvercle est fêlé.",
    "es": "Gracias, llegó hoy.\nLa tapa está rota.",
    "it": "Grazie, è arrivato oggi.\nIl coperchio è crepato.",
    "pt": "Obrigado, chegou hoje.\nA tampa está rachada.",
    "nl": "Bedankt, het is vandaag aangekomen.\nHet deksel is gebarsten.",
    "sv": "Tack, det kom i dag.\nLocket är sprucket.",
    "da": "Tak, den kom i dag.\nLåget er revnet.",
    "no": "Takk, den kom i dag.\nLokket er sprukket.",
    "fi": "Kiitos, se tuli tänään.\nKansi on haljennut.",
    "pl": "Dziękuję, dotarło dzisiaj.\nPokrywka jest pęknięta.",
    "cs": "Děkuji, dorazilo dnes.\nVíko je prasklé.",
    "ru": "Спасибо, посылка пришла сегодня.\nКрышка треснула.",
    "uk": "Дякую, посилка прийшла сьогодні.\nКришка тріснула.",
    "tr": "Teşekkürler, bugün geldi.\nKapak çatlak.",
    "el": "Ευχαριστώ, έφτασε σήμερα.\nΤο καπάκι έχει ραγίσει.",
    "hu": "Köszönöm, ma megérkezett.\nA fedél megrepedt.",
    "ro": "Mulțumesc, a sosit azi.\nCapacul este crăpat.",
    "zh": "谢谢，今天收到了。\n盖子裂了。",
    "ja": "ありがとうございます。今日届きました。\n蓋が割れています。",
    "ko": "감사합니다. 오늘 도착했습니다.\n뚜껑이 깨졌어요.",
    "vi": "Cảm ơn, hôm nay tôi đã nhận được.\nNắp bị nứt.",
    "id": "Terima kasih, sudah sampai hari ini.\nTutupnya retak.",
}

# Gmail (web and apps): "On <date> <person> wrote:" above a ``>`` quote.
GMAIL = {
    "en": f"On Tue, 4 Mar 2025 at 10:15, {SUPPORT} wrote:",
    "de": f"Am Di., 4. März 2025 um 10:15 Uhr schrieb {SUPPORT}:",
    "fr": f"Le mar. 4 mars 2025 à 10:15, {SUPPORT} a écrit :",
    "es": "El mar, 4 mar 2025 a las 10:15, Orchard Support (<help@orchard.example>) escribió:",
    "it": f"Il giorno mar 4 mar 2025 alle ore 10:15 {SUPPORT} ha scritto:",
    "pt": f"Em ter., 4 de mar. de 2025 às 10:15, {SUPPORT} escreveu:",
    "nl": f"Op di 4 mrt 2025 om 10:15 schreef {SUPPORT}:",
    "sv": f"Den tis 4 mars 2025 kl 10:15 skrev {SUPPORT}:",
    "da": f"tir. 4. mar. 2025 kl. 10.15 skrev {SUPPORT}:",
    "no": f"tir. 4. mar. 2025 kl. 10:15 skrev {SUPPORT}:",
    "fi": "ti 4.3.2025 klo 10.15 Orchard Support (help@orchard.example) kirjoitti:",
    "pl": f"wt., 4 mar 2025 o 10:15 {SUPPORT} napisał(a):",
    "cs": f"út 4. 3. 2025 v 10:15 odesílatel {SUPPORT} napsal:",
    "ru": f"вт, 4 мар. 2025 г. в 10:15, {SUPPORT}:",
    "uk": f"вт, 4 бер. 2025 р. о 10:15 {SUPPORT} пише:",
    "tr": f"{SUPPORT}, 4 Mar 2025 Sal, 10:15 tarihinde şunu yazdı:",
    "el": f"Στις Τρί 4 Μαρ 2025 στις 10:15, ο/η {SUPPORT} έγραψε:",
    "hu": f"{SUPPORT} ezt írta (időpont: 2025. márc. 4., K, 10:15):",
    "ro": f"Pe mar., 4 mar. 2025 la 10:15, {SUPPORT} a scris:",
    "zh": f"{SUPPORT} 于2025年3月4日周二 10:15写道：",
    "ja": f"2025年3月4日(火) 10:15 {SUPPORT}:",
    "ko": f"2025년 3월 4일 (화) 오전 10:15, {SUPPORT}님이 작성:",
    "vi": f"Vào Th 3, 4 thg 3, 2025 vào lúc 10:15 {SUPPORT} đã viết:",
    "id": f"Pada tanggal Sel, 4 Mar 2025 pukul 10.15 {SUPPORT} menulis:",
}

# Apple Mail (macOS and iOS).
APPLE = {
    "en": f"On 4 Mar 2025, at 10:15, {SUPPORT} wrote:",
    "de": f"Am 04.03.2025 um 10:15 schrieb {SUPPORT}:",
    "fr": f"Le 4 mars 2025 à 10:15, {SUPPORT} a écrit :",
    "es": f"El 4 mar 2025, a las 10:15, {SUPPORT} escribió:",
    "it": f"Il giorno 4 mar 2025, alle ore 10:15, {SUPPORT} ha scritto:",
    "nl": f"Op 4 mrt. 2025 om 10:15 heeft {SUPPORT} het volgende geschreven:",
    "sv": f"4 mars 2025 kl. 10:15 skrev {SUPPORT}:",
    "ru": f"4 марта 2025 г., в 10:15, {SUPPORT} написал(а):",
    "ja": f"2025/03/04 10:15、{SUPPORT}のメール:",
    "zh": f"在 2025年3月4日，10:15，{SUPPORT} 写道：",
}

# Thunderbird: name only, no address.
THUNDERBIRD = {
    "en": "On 04/03/2025 10:15, Orchard Support wrote:",
    "de": "Am 04.03.25 um 10:15 schrieb Orchard Support:",
    "fr": "Le 04/03/2025 à 10:15, Orchard Support a écrit :",
    "pl": "W dniu 4.03.2025 o 10:15, Orchard Support pisze:",
}

# Outlook desktop and web: a header block, the history not quoted.
OUTLOOK = {
    "en": ("From", "Sent", "To", "Subject", "Tuesday, March 4, 2025 10:15 AM"),
    "de": ("Von", "Gesendet", "An", "Betreff", "Dienstag, 4. März 2025 10:15"),
    "fr": ("De ", "Envoyé ", "À ", "Objet ", "mardi 4 mars 2025 10:15"),
    "es": ("De", "Enviado el", "Para", "Asunto", "martes, 4 de marzo de 2025 10:15"),
    "it": ("Da", "Inviato", "A", "Oggetto", "martedì 4 marzo 2025 10:15"),
    "pt": ("De", "Enviada em", "Para", "Assunto", "terça-feira, 4 de março de 2025 10:15"),
    "nl": ("Van", "Verzonden", "Aan", "Onderwerp", "dinsdag 4 maart 2025 10:15"),
    "sv": ("Från", "Skickat", "Till", "Ämne", "den 4 mars 2025 10:15"),
    "da": ("Fra", "Sendt", "Til", "Emne", "4. marts 2025 10:15"),
    "no": ("Fra", "Sendt", "Til", "Emne", "tirsdag 4. mars 2025 10:15"),
    "fi": ("Lähettäjä", "Lähetetty", "Vastaanottaja", "Aihe", "tiistai 4. maaliskuuta 2025 10.15"),
    "pl": ("Od", "Wysłano", "Do", "Temat", "wtorek, 4 marca 2025 10:15"),
    "cs": ("Od", "Odesláno", "Komu", "Předmět", "úterý 4. března 2025 10:15"),
    "ru": ("От", "Отправлено", "Кому", "Тема", "4 марта 2025 г. 10:15"),
    "uk": ("Від", "Надіслано", "Кому", "Тема", "4 березня 2025 р. 10:15"),
    "tr": ("Kimden", "Gönderildi", "Kime", "Konu", "4 Mart 2025 Salı 10:15"),
    "el": ("Από", "Στάλθηκε", "Προς", "Θέμα", "Τρίτη, 4 Μαρτίου 2025 10:15"),
    "hu": ("Feladó", "Elküldve", "Címzett", "Tárgy", "2025. március 4. 10:15"),
    "ro": ("De la", "Trimis", "Către", "Subiect", "marți, 4 martie 2025 10:15"),
    "zh": ("发件人", "发送时间", "收件人", "主题", "2025年3月4日 10:15"),
    "ja": ("差出人", "送信日時", "宛先", "件名", "2025年3月4日 10:15"),
    "ko": ("보낸 사람", "보낸 날짜", "받는 사람", "제목", "2025년 3월 4일 화요일 오전 10:15"),
    "vi": ("Từ", "Đã gửi", "Đến", "Chủ đề", "Thứ Ba, 4 tháng 3, 2025 10:15"),
    "id": ("Dari", "Dikirim", "Kepada", "Subjek", "Selasa, 4 Maret 2025 10.15"),
}

# Samsung Email and other Android clients: a marker, then a header block.
SAMSUNG = {
    "en": ("Original message", "From", "Date", "To", "Subject"),
    "de": ("Ursprüngliche Nachricht", "Von", "Datum", "An", "Betreff"),
    "fr": ("Message d'origine", "De ", "Date ", "À ", "Objet "),
    "es": ("Mensaje original", "De", "Fecha", "Para", "Asunto"),
    "it": ("Messaggio originale", "Da", "Data", "A", "Oggetto"),
    "pt": ("Mensagem original", "De", "Data", "Para", "Assunto"),
    "nl": ("Oorspronkelijk bericht", "Van", "Datum", "Aan", "Onderwerp"),
    "sv": ("Originalmeddelande", "Från", "Datum", "Till", "Ämne"),
    "ru": ("Исходное сообщение", "От", "Дата", "Кому", "Тема"),
    "pl": ("Oryginalna wiadomość", "Od", "Data", "Do", "Temat"),
    "tr": ("Orijinal mesaj", "Kimden", "Tarih", "Kime", "Konu"),
    "zh": ("原始邮件", "发件人", "日期", "收件人", "主题"),
}

# Yahoo Mail and Outlook's older marker, with the history below it.
ORIGINAL_MARKERS = {
    "en": "----- Original Message -----",
    "de": "-----Ursprüngliche Nachricht-----",
    "da": "-----Oprindelig meddelelse-----",
    "no": "-----Opprinnelig melding-----",
    "fi": "-----Alkuperäinen viesti-----",
    "cs": "-----Původní zpráva-----",
    "hu": "-----Eredeti üzenet-----",
}


def _gmail(language: str) -> Case:
    reply = REPLIES[language]
    return Case("gmail", language, f"{reply}\n\n{GMAIL[language]}\n\n{QUOTED}\n", reply)


def _apple(language: str) -> Case:
    reply = REPLIES[language]
    return Case("apple-mail", language, f"{reply}\n\n{APPLE[language]}\n\n{QUOTED}\n", reply)


def _thunderbird(language: str) -> Case:
    reply = REPLIES[language]
    return Case("thunderbird", language, f"{reply}\n\n{THUNDERBIRD[language]}\n{QUOTED}\n", reply)


def _outlook(language: str) -> Case:
    sender, sent, to, subject, date = OUTLOOK[language]
    block = f"{sender}: {SUPPORT}\n{sent}: {date}\n{to}: ana@example.com\n{subject}: RE: 44-1902\n\n{PLAIN}\n"
    reply = REPLIES[language]
    return Case("outlook", language, f"{reply}\n\n________________________________\n{block}", reply)


def _samsung(language: str) -> Case:
    marker, sender, date, to, subject = SAMSUNG[language]
    block = (
        f"-------- {marker} --------\n{sender}: {SUPPORT}\n{date}: 04/03/2025 10:15 (GMT+01:00)\n"
        f"{to}: ana@example.com\n{subject}: Re: 44-1902\n\n{PLAIN}\n"
    )
    reply = REPLIES[language]
    return Case(
        "samsung", language, f"{reply}\n\nSent from my Galaxy\n\n{block}", f"{reply}\n\nSent from my Galaxy"
    )


def _original(language: str) -> Case:
    reply = REPLIES[language]
    marker = ORIGINAL_MARKERS[language]
    block = (
        f"{marker}\nFrom: {SUPPORT}\nTo: ana@example.com\n"
        f"Sent: 04.03.2025 10:15\nSubject: Re: 44-1902\n\n{PLAIN}"
    )
    return Case("yahoo", language, f"{reply}\n\n\n{block}\n", reply)


SPECIAL = [
    Case(
        "android",
        "en",
        f"Thanks, got it.\n\n---- Orchard Support wrote ----\n\n{QUOTED}\n",
        "Thanks, got it.",
    ),
    Case(
        "gmail-date-first",
        "en",
        "Thanks, got it.\n\n2025-03-04 10:15 GMT+01:00 Orchard Support <\n"
        f"help@orchard.example>:\n\n{QUOTED}\n",
        "Thanks, got it.",
    ),
    Case(
        "samsung-wrote",
        "en",
        "Thanks, got it.\n\n"
        f"Sent from Samsung MobileOrchard Support <help@orchard.example> wrote:\n\n{QUOTED}\n",
        "Thanks, got it.",
    ),
    Case(
        "shared-line",
        "en",
        f"Thanks, got it. On Tue, Mar 4, 2025 at 10:15 AM, help@orchard.example wrote:\n{QUOTED}\n",
        "Thanks, got it.",
    ),
    Case(
        "polymail",
        "en",
        "Thanks, got it.\n\nOn Tue, Mar 4, 2025 at 10:15 AM Orchard Support\n\n<\n"
        f"mailto:Orchard Support <help@orchard.example>\n> wrote:\n{QUOTED}\n",
        "Thanks, got it.",
    ),
    Case(
        "sent-verb",
        "en",
        f"Thanks, got it.\n\nOn 04-Mar-2025, at 10:15 AM, {SUPPORT} sent:\n\n{QUOTED}\n",
        "Thanks, got it.",
    ),
    Case(
        "yahoo-new",
        "en",
        f"Thanks, got it.\n\nOn Tuesday, March 4, 2025, 10:15 AM, {SUPPORT} wrote:\n\n{QUOTED}\n",
        "Thanks, got it.",
    ),
    Case(
        "outlook-bold",
        "en",
        f"Thanks, got it.\n\n*From:* {SUPPORT}\n"
        "*Sent:* Tuesday, March 4, 2025 10:15 AM\n*To:* ana@example.com\n"
        f"*Subject:* RE: 44-1902\n\n{PLAIN}\n",
        "Thanks, got it.",
    ),
    Case(
        "thunderbird-marker",
        "en",
        "Thanks, got it.\n\n-------- Original Message --------\n"
        "Subject: 44-1902\nDate: Tue, 4 Mar 2025 10:15\n"
        f"From: {SUPPORT}\nTo: ana@example.com\n\n{PLAIN}\n",
        "Thanks, got it.",
    ),
    Case(
        "bottom-posted",
        "en",
        f"On 04/03/2025 10:15, Orchard Support wrote:\n{QUOTED}\n\nThe lid is cracked though.\n",
        "The lid is cracked though.",
    ),
    Case(
        "text-below-quote",
        "en",
        "Thanks, got it.\n\nOn 04/03/2025 10:15, Orchard Support wrote:\n"
        f"{QUOTED}\n\nAna\n+351 912 345 678\n",
        "Thanks, got it.\n\nAna\n+351 912 345 678",
    ),
    Case(
        "nested-quotes",
        "en",
        "Thanks, got it.\nOn 04/03/2025 10:15, Orchard Support wrote:\n> Good news.\n"
        "> On 03/03/2025 09:00, Ana wrote:\n>> Where is it?\n\nAna",
        "Thanks, got it.\n\nAna",
    ),
    Case(
        "content-line-with-arrows",
        "en",
        "Please look at the label:\n>>> FRAGILE <<<\nIt was upside down in the van.",
        "Please look at the label:\n>>> FRAGILE <<<\nIt was upside down in the van.",
    ),
    Case(
        "inline-answers",
        "en",
        "> What is your order number?\n44-1902\n\n> Which address?\nRua das Flores 12, Porto\n",
        "> What is your order number?\n44-1902\n\n> Which address?\nRua das Flores 12, Porto",
    ),
    Case(
        "forwarded-gmail",
        "en",
        "See below.\n\n---------- Forwarded message ---------\nFrom: Bank <no-reply@bank.example>\n"
        "Date: Tue, Mar 4, 2025 at 10:15 AM\nSubject: Payment\n"
        "To: <ana@example.com>\n\nYou paid 25.00 EUR.\n",
        "See below.\n\n---------- Forwarded message ---------\nFrom: Bank <no-reply@bank.example>\n"
        "Date: Tue, Mar 4, 2025 at 10:15 AM\nSubject: Payment\nTo: <ana@example.com>\n\nYou paid 25.00 EUR.",
    ),
    Case(
        "forwarded-apple-de",
        "de",
        "Siehe unten.\n\nAnfang der weitergeleiteten Nachricht:\n\nVon: Bank <no-reply@bank.example>\n"
        "Betreff: Zahlung\nDatum: 4. März 2025 um 10:15:00 MEZ\n"
        "An: ana@example.com\n\nSie haben 25 EUR bezahlt.\n",
        "Siehe unten.\n\nAnfang der weitergeleiteten Nachricht:\n\nVon: Bank <no-reply@bank.example>\n"
        "Betreff: Zahlung\nDatum: 4. März 2025 um 10:15:00 MEZ\n"
        "An: ana@example.com\n\nSie haben 25 EUR bezahlt.",
    ),
    Case(
        "not-history",
        "en",
        "Delivery: from Berlin\nTo: Paris\nDate: whenever suits you\nMy colleague wrote:\nplease hurry",
        "Delivery: from Berlin\nTo: Paris\nDate: whenever suits you\nMy colleague wrote:\nplease hurry",
    ),
    Case(
        "helpdesk-marker",
        "en",
        "Yes, cancel it.\n\n##- Please type your reply above this line -##\n\nWould you like us to cancel?\n",
        "Yes, cancel it.",
    ),
]

CASES: list[Case] = [
    *(_gmail(language) for language in GMAIL),
    *(_apple(language) for language in APPLE),
    *(_thunderbird(language) for language in THUNDERBIRD),
    *(_outlook(language) for language in OUTLOOK),
    *(_samsung(language) for language in SAMSUNG),
    *(_original(language) for language in ORIGINAL_MARKERS),
    *SPECIAL,
]
LANGUAGES = frozenset(case.language for case in CASES)
