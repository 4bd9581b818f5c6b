"""The printed credential sheet: one A4 page with the election, plain instructions, a QR code and the typed code.

Real and fake sheets must be the same document except for the code (docs/coercion.md §3.5): a coercer handed a
sheet — on paper or as a file — must find nothing but a code that passes its checksum. So the page is built the same
way every time, and nothing in the file depends on when, where or for whom it was made:

* PDF metadata is fixed (creation date 2000-01-01, producer ``plebiscite``, no file identifier);
* the QR code is always version 6 at error-correction level Q, drawn as filled squares (no image, no timestamp);
* fonts are embedded as subsets, and every glyph the code can use is placed in the subset *before* the code is
  written (the line that lists the code's alphabet), so the font data never depends on which letters a code has.

The font is DejaVu Sans (and Sans Mono for the code), as shipped inside matplotlib — already a dependency, so no
system font package is needed — and a fake sheet made on a voter's own computer prints like one from the registrar's
station. (As files, two sheets are identical but for the code when made with the same versions of plebiscite, fpdf2
and matplotlib: hand over paper, not files.) Cyrillic needs a Unicode TrueType font; PDF's built-in fonts are
Latin-1 only.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from plebiscite.coercion.codec import CoercionError
from plebiscite.coercion.sheet_code import SheetCredential

LANGUAGES = ("uk", "ru", "en")
QR_VERSION = 6  # 41 × 41 modules: the 95 characters of a code in alphanumeric mode at level Q
QR_ERROR = "q"  # a quarter of the symbol may be creased or stained
ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ 234567"
FIXED_DATE = datetime(2000, 1, 1, tzinfo=UTC)

TEXT: dict[str, dict[str, str | list[str]]] = {
    "en": {
        "heading": "Voting credential",
        "election": "Election: {title}",
        "election_id": "Election ID: {eid}",
        "code": "Credential code",
        "alphabet": "The code has only the letters A–Z and the digits 2–7 (never 0, 1, 8 or 9):",
        "steps": [
            "This sheet lets you vote in the election named above. Anyone who holds it can vote with it: keep it "
            "out of sight and do not photograph it.",
            "To vote, open the voting page, choose to load a credential sheet, and scan the QR code or type the "
            "code. Capital or small letters and dashes do not matter.",
            "You may vote more than once. Only the last ballot cast with this credential counts.",
            "If someone demands your credential or wants to watch you vote, give them a fake sheet, or vote with a "
            "fake credential in front of them. A fake sheet looks exactly like this one, and nobody can check which "
            "is which. Ballots cast with a fake credential are accepted but never counted. Fake sheets are given "
            'out at registration and printed by the command "plebiscite credential sheet --fake"; the voting page '
            "makes a fake credential on the spot.",
            "Later, when nobody is watching, vote with your real credential. Your last vote is the one that counts.",
            "Keep this sheet until voting has closed, then destroy it.",
        ],
    },
    "uk": {
        "heading": "Ключ виборця",
        "election": "Голосування: {title}",
        "election_id": "Ідентифікатор голосування: {eid}",
        "code": "Код ключа",
        "alphabet": "У коді лише латинські літери A–Z і цифри 2–7 (ніколи 0, 1, 8 чи 9):",
        "steps": [
            "Цей аркуш дає змогу проголосувати на зазначеному вище голосуванні. Кожен, у кого він опиниться, "
            "зможе ним проголосувати, тому ховайте його від чужих очей і не фотографуйте.",
            "Щоб проголосувати, відкрийте сторінку голосування, виберіть аркуш із ключем і відскануйте QR-код або "
            "введіть код. Великі чи малі літери та дефіси значення не мають.",
            "Голосувати можна кілька разів. Враховується лише останній бюлетень, поданий із цим ключем.",
            "Якщо хтось вимагає ваш ключ або хоче бачити, як ви голосуєте, дайте йому фальшивий аркуш або "
            "проголосуйте фальшивим ключем у нього на очах. Фальшивий аркуш виглядає точнісінько як цей, і ніхто "
            "не може перевірити, котрий із них справжній. Бюлетені з фальшивим ключем приймаються, але ніколи не "
            "враховуються. Фальшиві аркуші видають під час реєстрації та друкує команда "
            "«plebiscite credential sheet --fake»; сторінка голосування створює фальшивий ключ на місці.",
            "Згодом, коли ніхто не бачить, проголосуйте справжнім ключем. Враховується ваш останній голос.",
            "Зберігайте цей аркуш до закінчення голосування, а потім знищте його.",
        ],
    },
    "ru": {
        "heading": "Ключ избирателя",
        "election": "Голосование: {title}",
        "election_id": "Идентификатор голосования: {eid}",
        "code": "Код ключа",
        "alphabet": "В коде только латинские буквы A–Z и цифры 2–7 (никогда 0, 1, 8 или 9):",
        "steps": [
            "Этот лист позволяет проголосовать на указанном выше голосовании. Любой, у кого он окажется, сможет им "
            "проголосовать, поэтому прячьте его от чужих глаз и не фотографируйте.",
            "Чтобы проголосовать, откройте страницу голосования, выберите лист с ключом и отсканируйте QR-код или "
            "введите код. Заглавные или строчные буквы и дефисы значения не имеют.",
            "Голосовать можно несколько раз. Учитывается только последний бюллетень, поданный с этим ключом.",
            "Если кто-то требует ваш ключ или хочет видеть, как вы голосуете, отдайте ему фальшивый лист или "
            "проголосуйте фальшивым ключом у него на глазах. Фальшивый лист выглядит точно так же, как этот, и никто "
            "не может проверить, какой из них настоящий. Бюллетени с фальшивым ключом принимаются, но никогда не "
            "учитываются. Фальшивые листы выдают при регистрации и печатает команда "
            "«plebiscite credential sheet --fake»; страница голосования создаёт фальшивый ключ на месте.",
            "Потом, когда никто не видит, проголосуйте настоящим ключом. Учитывается ваш последний голос.",
            "Храните этот лист до окончания голосования, а затем уничтожьте его.",
        ],
    },
}


def _fonts() -> tuple[Path, Path]:
    """DejaVu Sans and DejaVu Sans Mono from matplotlib's data (installed with plebiscite: no system fonts needed)."""
    import matplotlib

    ttf = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    regular, mono = ttf / "DejaVuSans.ttf", ttf / "DejaVuSansMono.ttf"
    if not (regular.is_file() and mono.is_file()):
        raise CoercionError(
            f"credential sheet: the DejaVu fonts are missing from {ttf} (reinstall matplotlib)"
        )
    return regular, mono


def qr_matrix(code: str) -> list[list[bool]]:
    """The QR symbol of ``code`` (dark = True), always the same size so that every sheet has the same layout."""
    import segno

    qr = segno.make(code, error=QR_ERROR, version=QR_VERSION, mode="alphanumeric", boost_error=False)
    return [[bool(m) for m in row] for row in qr.matrix]


def code_lines(code: str) -> list[str]:
    """The 16 groups in four lines of four, as they are printed."""
    groups = code.split("-")
    return ["-".join(groups[i : i + 4]) for i in range(0, len(groups), 4)]


def render_sheet(sheet: SheetCredential, title: str, lang: str) -> bytes:
    """The sheet's PDF. Everything but the code is a function of (election, language, plebiscite version)."""
    from fpdf import FPDF

    if lang not in TEXT:
        raise CoercionError(f"language: expected one of {', '.join(LANGUAGES)}")
    text = TEXT[lang]
    code = sheet.code()

    class _Pdf(FPDF):
        def file_id(self) -> None:  # type: ignore[override]  # no /ID: it would hash the content and the date
            return None

    pdf = _Pdf(format="A4", unit="mm")
    pdf.set_creation_date(FIXED_DATE)
    pdf.set_producer("plebiscite")
    pdf.set_creator("plebiscite")
    pdf.set_title(str(text["heading"]))
    pdf.set_lang(lang)
    pdf.set_auto_page_break(False)
    regular, mono = _fonts()
    pdf.add_font("sans", "", str(regular))
    pdf.add_font("mono", "", str(mono))
    pdf.add_page()
    width = pdf.w - 2 * pdf.l_margin

    pdf.set_font("sans", size=20)
    pdf.cell(width, 10, str(text["heading"]), new_x="LMARGIN", new_y="NEXT", align="C")
    pdf.set_font("sans", size=11)
    pdf.multi_cell(
        width, 6, str(text["election"]).format(title=title), new_x="LMARGIN", new_y="NEXT", align="C"
    )
    pdf.cell(
        width,
        6,
        str(text["election_id"]).format(eid=sheet.election_id),
        new_x="LMARGIN",
        new_y="NEXT",
        align="C",
    )

    # The QR code: 41 modules and a quiet zone of 4, 62 mm wide, centred.
    matrix = qr_matrix(code)
    quiet, side = 4, 62.0
    module = side / (len(matrix) + 2 * quiet)
    x0, y0 = (pdf.w - side) / 2, pdf.get_y() + 4
    pdf.set_fill_color(0, 0, 0)
    for r, row in enumerate(matrix):
        c = 0
        while c < len(row):  # one rectangle per run of dark modules
            if not row[c]:
                c += 1
                continue
            start = c
            while c < len(row) and row[c]:
                c += 1
            pdf.rect(
                x0 + (quiet + start) * module,
                y0 + (quiet + r) * module,
                (c - start) * module,
                module,
                style="F",
            )
    y = y0 + side + 2

    # The alphabet first (it puts every glyph of the code into the mono subset), printed below the code.
    code_top = y + 8
    alphabet_top = code_top + 4 * 9 + 2
    pdf.set_xy(pdf.l_margin, alphabet_top)
    pdf.set_font("sans", size=9)
    pdf.cell(width, 5, str(text["alphabet"]), new_x="LMARGIN", new_y="NEXT", align="C")
    pdf.set_font("mono", size=11)
    pdf.cell(width, 5, ALPHABET, new_x="LMARGIN", new_y="NEXT", align="C")
    after_alphabet = pdf.get_y()

    pdf.set_xy(pdf.l_margin, y)
    pdf.set_font("sans", size=11)
    pdf.cell(width, 7, str(text["code"]), align="C")
    pdf.set_xy(pdf.l_margin, code_top)
    pdf.set_font("mono", size=17)
    for line in code_lines(code):
        pdf.cell(width, 9, line, new_x="LMARGIN", new_y="NEXT", align="C")

    pdf.set_xy(pdf.l_margin, after_alphabet + 5)
    pdf.set_font("sans", size=10)
    steps = text["steps"]
    assert isinstance(steps, list)
    for n, step in enumerate(steps, 1):
        pdf.multi_cell(width, 5, f"{n}. {step}", new_x="LMARGIN", new_y="NEXT", align="L")
        pdf.ln(1.5)
    return bytes(pdf.output())
