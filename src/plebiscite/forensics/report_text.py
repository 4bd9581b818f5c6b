"""Every sentence of the HTML report in English, Ukrainian and Russian (`--lang en|uk|ru`).

Kept apart from report.py so that a translator edits one table and the layout code never holds prose. Keys are
the same in every language; `text(lang)` fails loudly on a missing key rather than mixing languages.
"""

from __future__ import annotations

LANGS = ("en", "uk", "ru")

_TEXT: dict[str, dict[str, str]] = {
    "title": {
        "en": "Election forensics: {name}",
        "uk": "Електоральна криміналістика: {name}",
        "ru": "Электоральная криминалистика: {name}",
    },
    "summary": {"en": "Summary", "uk": "Коротко", "ru": "Коротко"},
    "decimal": {"en": ".", "uk": ",", "ru": ","},
    "summary_intro": {
        "en": "{stations} polling stations in {regions} regions; {leader} received {share} of the ballots cast, "
        "turnout {turnout}.",
        "uk": "{stations} дільниць у {regions} регіонах; {leader} отримав(ла) {share} поданих бюлетенів, явка "
        "{turnout}.",
        "ru": "{stations} участков в {regions} регионах; {leader} получил(а) {share} поданных бюллетеней, явка "
        "{turnout}.",
    },
    "found": {"en": "What was found", "uk": "Що виявлено", "ru": "Что обнаружено"},
    "how_sure": {"en": "How sure", "uk": "Наскільки це певно", "ru": "Насколько это достоверно"},
    "not_prove": {
        "en": "What this does not prove",
        "uk": "Чого це не доводить",
        "ru": "Чего это не доказывает",
    },
    "level_strong": {
        "en": "very unlikely under honest counting",
        "uk": "дуже малоймовірно при чесному підрахунку",
        "ru": "очень маловероятно при честном подсчёте",
    },
    "level_some": {
        "en": "somewhat unusual, not conclusive",
        "uk": "дещо незвично, але не переконливо",
        "ru": "несколько необычно, но не убедительно",
    },
    "level_none": {
        "en": "consistent with honest counting",
        "uk": "узгоджується з чесним підрахунком",
        "ru": "согласуется с честным подсчётом",
    },
    "finding_stuffing": {
        "en": "Ballot-stuffing signature: {tail_obs} stations are in the top 5 % of both turnout and the "
        "leader's share within their region, where {tail_exp} would be expected ({level}).",
        "uk": "Ознака вкидання бюлетенів: {tail_obs} дільниць одночасно у верхніх 5 % за явкою і часткою лідера "
        "у своєму регіоні, тоді як очікувалося б {tail_exp} ({level}).",
        "ru": "Признак вброса бюллетеней: {tail_obs} участков одновременно в верхних 5 % по явке и доле лидера "
        "в своём регионе, тогда как ожидалось бы {tail_exp} ({level}).",
    },
    "finding_mixture": {
        "en": "Fraud model (Mebane's finite mixture): an estimated {fi} of stations with incremental and {fe} "
        "with extreme fraud (95 % interval for the first: {fi_ci}); about {votes} votes for the leader "
        "({votes_share} of his or her votes) would come from fraud under this model ({level}).",
        "uk": "Модель фальсифікацій (скінченна суміш Мебейна): оцінено {fi} дільниць із поступовими і {fe} з "
        "екстремальними фальсифікаціями (95 % інтервал для першого: {fi_ci}); за цією моделлю близько {votes} "
        "голосів за лідера ({votes_share} його/її голосів) походили б від фальсифікацій ({level}).",
        "ru": "Модель фальсификаций (конечная смесь Мебейна): оценено {fi} участков с постепенными и {fe} с "
        "экстремальными фальсификациями (95 % интервал для первого: {fi_ci}); по этой модели около {votes} "
        "голосов за лидера ({votes_share} его/её голосов) возникли бы из фальсификаций ({level}).",
    },
    "finding_excess": {
        "en": "Excess votes (Shpilkin's method): {votes} votes for the leader above what the other options' "
        "votes predict ({share} of the leader's votes; {low}–{high} depending on the reference range).",
        "uk": "Надлишкові голоси (метод Шпількіна): {votes} голосів за лідера понад те, що передбачають голоси "
        "за інші варіанти ({share} голосів лідера; {low}–{high} залежно від еталонного діапазону).",
        "ru": "Избыточные голоса (метод Шпилькина): {votes} голосов за лидера сверх того, что предсказывают "
        "голоса за остальные варианты ({share} голосов лидера; {low}–{high} в зависимости от эталонного "
        "диапазона).",
    },
    "finding_integer": {
        "en": "Round percentages: {obs} stations report a whole-number turnout or share, {exp} would be "
        "expected — an excess of {excess} ({level}).",
        "uk": "Круглі відсотки: {obs} дільниць мають цілу явку або частку, очікувалося б {exp} — надлишок "
        "{excess} ({level}).",
        "ru": "Круглые проценты: {obs} участков показывают целую явку или долю, ожидалось бы {exp} — избыток "
        "{excess} ({level}).",
    },
    "finding_digits": {
        "en": "Digits of the vote counts: last digits {last_level}; second digits {second_level}.",
        "uk": "Цифри в кількостях голосів: останні цифри — {last_level}; другі цифри — {second_level}.",
        "ru": "Цифры в числах голосов: последние цифры — {last_level}; вторые цифры — {second_level}.",
    },
    "finding_where": {
        "en": "Where: five regions ({regions}) account for {share} of the excess of round percentages and "
        "{share_votes} of the excess votes.",
        "uk": "Де: п'ять регіонів ({regions}) дають {share} надлишку круглих відсотків і {share_votes} "
        "надлишкових голосів.",
        "ru": "Где: пять регионов ({regions}) дают {share} избытка круглых процентов и {share_votes} избыточных "
        "голосов.",
    },
    "how_sure_text": {
        "en": "Each statement compares the published numbers with a model of honest counting and says how "
        "unlikely the data are under it. 'Very unlikely' means p < 0.001: such a pattern would appear by chance "
        "in fewer than one honest election in a thousand of this size. Estimates (numbers of stations, of "
        "votes) hold only under their model's assumptions; different methods give different sizes.",
        "uk": "Кожне твердження порівнює опубліковані числа з моделлю чесного підрахунку і каже, наскільки "
        "дані малоймовірні за нею. «Дуже малоймовірно» означає p < 0,001: така картина випадково виникла б "
        "менш ніж в одних чесних виборах із тисячі такого розміру. Оцінки (кількість дільниць, голосів) "
        "справедливі лише за припущень своєї моделі; різні методи дають різні величини.",
        "ru": "Каждое утверждение сравнивает опубликованные числа с моделью честного подсчёта и говорит, "
        "насколько данные маловероятны при ней. «Очень маловероятно» означает p < 0,001: такая картина "
        "случайно возникла бы менее чем в одних честных выборах из тысячи такого размера. Оценки (число "
        "участков, голосов) верны лишь при допущениях своей модели; разные методы дают разные величины.",
    },
    "not_prove_text": {
        "en": "These are statistical patterns, not evidence about any particular polling station or person. "
        "Honest causes exist for some of them: hospitals, barracks or remote villages with very high turnout, "
        "mobilisation that differs between supporters, regional differences. A clean result does not certify "
        "an election either: careful fabrication can avoid these fingerprints. Use the findings to decide "
        "where to look — protocols, observers' reports, recounts.",
        "uk": "Це статистичні закономірності, а не докази щодо конкретної дільниці чи людини. Деякі з них мають "
        "чесні причини: лікарні, військові частини чи віддалені села з дуже високою явкою, різна мобілізація "
        "прихильників, регіональні відмінності. Чистий результат теж не засвідчує виборів: обережна "
        "фальсифікація може уникнути цих ознак. Використовуйте висновки, щоб вирішити, куди дивитися — "
        "протоколи, звіти спостерігачів, перерахунки.",
        "ru": "Это статистические закономерности, а не доказательства в отношении конкретного участка или "
        "человека. У некоторых есть честные причины: больницы, воинские части или отдалённые сёла с очень "
        "высокой явкой, разная мобилизация сторонников, региональные различия. Чистый результат тоже не "
        "удостоверяет выборы: аккуратная фальсификация может избежать этих признаков. Используйте выводы, "
        "чтобы решить, куда смотреть — протоколы, отчёты наблюдателей, пересчёты.",
    },
    "data": {"en": "Data", "uk": "Дані", "ru": "Данные"},
    "data_text": {
        "en": "{read} rows read, {used} used, {excluded} excluded. Leader: {leader} (recognised by {how}).",
        "uk": "Прочитано рядків: {read}, використано: {used}, виключено: {excluded}. Лідер: {leader} "
        "(визначено за: {how}).",
        "ru": "Прочитано строк: {read}, использовано: {used}, исключено: {excluded}. Лидер: {leader} "
        "(определён по: {how}).",
    },
    "layout_notes": {"en": "How the file was read", "uk": "Як прочитано файл", "ru": "Как прочитан файл"},
    "ignored_columns": {
        "en": "Ignored text columns: {cols}.",
        "uk": "Пропущені текстові стовпці: {cols}.",
        "ru": "Пропущенные текстовые столбцы: {cols}.",
    },
    "unassigned_columns": {
        "en": "Warning: numeric columns with no recognised role, not used: {cols}.",
        "uk": "Увага: числові стовпці без розпізнаної ролі, не використані: {cols}.",
        "ru": "Внимание: числовые столбцы без распознанной роли, не использованы: {cols}.",
    },
    "exclusion_reason": {"en": "exclusion reason", "uk": "причина виключення", "ru": "причина исключения"},
    "rows": {"en": "rows", "uk": "рядки", "ru": "строки"},
    "key_figures": {"en": "Key figures", "uk": "Основні показники", "ru": "Основные показатели"},
    "method": {"en": "method", "uk": "метод", "ru": "метод"},
    "estimate": {"en": "estimate", "uk": "оцінка", "ru": "оценка"},
    "interval": {
        "en": "95 % interval / range",
        "uk": "95 % інтервал / діапазон",
        "ru": "95 % интервал / диапазон",
    },
    "test": {"en": "test", "uk": "тест", "ru": "тест"},
    "figures": {"en": "Figures", "uk": "Графіки", "ru": "Графики"},
    "regions": {"en": "Regions", "uk": "Регіони", "ru": "Регионы"},
    "regions_text": {
        "en": "The {top} regions contributing most to the excess of round percentages. Per-region p-values "
        "are not corrected for testing many regions.",
        "uk": "{top} регіонів, що найбільше дають до надлишку круглих відсотків. P-значення для регіонів не "
        "скориговано на множинне тестування.",
        "ru": "{top} регионов, больше всего дающих в избыток круглых процентов. P-значения по регионам не "
        "скорректированы на множественное тестирование.",
    },
    "all_regions": {"en": "All {n} regions", "uk": "Усі регіони ({n})", "ru": "Все регионы ({n})"},
    "method_notes": {"en": "Method notes", "uk": "Примітки щодо методів", "ru": "Примечания о методах"},
    "method_notes_text": {
        "en": "Full assumptions of every method: docs/forensics.md. Seed {seed}; {runs} Monte Carlo runs "
        "(integer test); {klimek} bootstrap fits (Klimek); fraud-mixture intervals: {mixture}.",
        "uk": "Повні припущення кожного методу: docs/forensics.md. Зерно {seed}; {runs} прогонів Монте-Карло "
        "(тест цілих відсотків); {klimek} бутстреп-підгонок (Клімек); інтервали моделі суміші: {mixture}.",
        "ru": "Полные допущения каждого метода: docs/forensics.md. Зерно {seed}; {runs} прогонов Монте-Карло "
        "(тест целых процентов); {klimek} бутстреп-подгонок (Климек); интервалы модели смеси: {mixture}.",
    },
    # captions: one sentence on how to read each figure
    "cap_fingerprint": {
        "en": "How to read: each dot of colour counts polling stations with that turnout and leader's share; "
        "honest elections form one compact cloud, stuffing smears it toward the upper right and invented "
        "results pile up at 100 %/100 % (right: the fitted Klimek model).",
        "uk": "Як читати: колір показує, скільки дільниць мають таку явку і частку лідера; чесні вибори дають "
        "одну компактну хмару, вкидання розтягує її вгору-вправо, а вигадані результати скупчуються біля "
        "100 %/100 % (праворуч: підігнана модель Клімека).",
        "ru": "Как читать: цвет показывает, сколько участков имеют такую явку и долю лидера; честные выборы "
        "дают одно компактное облако, вброс растягивает его вверх-вправо, а выдуманные результаты скапливаются "
        "у 100 %/100 % (справа: подогнанная модель Климека).",
    },
    "cap_integer_histograms": {
        "en": "How to read: red bars sit on whole percentages; in honest data they are as tall as their grey "
        "neighbours, and regular red spikes mean many protocols were written with round numbers.",
        "uk": "Як читати: червоні стовпчики стоять на цілих відсотках; у чесних даних вони такі ж, як сірі "
        "сусіди, а регулярні червоні піки означають, що багато протоколів записано круглими числами.",
        "ru": "Как читать: красные столбики стоят на целых процентах; в честных данных они такие же, как серые "
        "соседи, а регулярные красные пики означают, что многие протоколы записаны круглыми числами.",
    },
    "cap_turnout_regions": {
        "en": "How to read: each box shows the middle half of a region's stations by turnout (line: median); "
        "regions with boxes pressed against 100 % or very long right whiskers deserve a closer look.",
        "uk": "Як читати: кожна коробка показує середню половину дільниць регіону за явкою (лінія — медіана); "
        "регіони з коробками, притиснутими до 100 %, або з дуже довгими правими вусами варто перевірити.",
        "ru": "Как читать: каждая коробка показывает среднюю половину участков региона по явке (линия — "
        "медиана); регионы с коробками, прижатыми к 100 %, или с очень длинными правыми усами стоит проверить.",
    },
    "cap_region_anomalies": {
        "en": "How to read: the longest bars are the regions that drive the national figures — left, the "
        "excess of round percentages; right, each region's share of the excess votes.",
        "uk": "Як читати: найдовші смуги — регіони, що визначають загальнонаціональні цифри: ліворуч надлишок "
        "круглих відсотків, праворуч частка регіону в надлишкових голосах.",
        "ru": "Как читать: самые длинные полосы — регионы, определяющие общенациональные цифры: слева избыток "
        "круглых процентов, справа доля региона в избыточных голосах.",
    },
    "cap_comet": {
        "en": "How to read: a comet tail rising toward 100 %/100 % means the leader gains exactly where turnout "
        "is high.",
        "uk": "Як читати: хвіст комети, що піднімається до 100 %/100 %, означає, що лідер отримує більше саме "
        "там, де явка висока.",
        "ru": "Как читать: хвост кометы, поднимающийся к 100 %/100 %, означает, что лидер получает больше "
        "именно там, где явка высока.",
    },
    "cap_excess_votes": {
        "en": "How to read: in the grey range the leader's votes follow the others'; the red area above the "
        "dashed line is the excess that appears only at higher turnout.",
        "uk": "Як читати: у сірому діапазоні голоси лідера йдуть за голосами інших; червона область над "
        "пунктиром — надлишок, що з'являється лише за вищої явки.",
        "ru": "Как читать: в сером диапазоне голоса лидера следуют за голосами остальных; красная область над "
        "пунктиром — избыток, появляющийся только при более высокой явке.",
    },
    "cap_coarse_spikes": {
        "en": "How to read: bars show how many more stations sit exactly on simple fractions (1/2, 3/4, …) "
        "than small-number effects explain; red bars are unusual.",
        "uk": "Як читати: стовпчики показують, наскільки більше дільниць мають точно прості дроби (1/2, 3/4, …), "
        "ніж пояснюють ефекти малих чисел; червоні — незвичні.",
        "ru": "Как читать: столбики показывают, насколько больше участков имеют ровно простые дроби (1/2, 3/4, "
        "…), чем объясняют эффекты малых чисел; красные — необычные.",
    },
    # figure labels
    "lbl_turnout": {"en": "turnout, %", "uk": "явка, %", "ru": "явка, %"},
    "lbl_share": {"en": "leader's share, %", "uk": "частка лідера, %", "ru": "доля лидера, %"},
    "lbl_observed": {"en": "observed", "uk": "спостережено", "ru": "наблюдаемое"},
    "lbl_stations_cell": {
        "en": "stations per 1 x 1 point cell",
        "uk": "дільниць на клітинку 1 x 1",
        "ru": "участков на клетку 1 x 1",
    },
    "lbl_stations_bin": {
        "en": "stations per 0.1 point",
        "uk": "дільниць на 0,1 пункту",
        "ru": "участков на 0,1 пункта",
    },
    "lbl_whole": {"en": "whole percent", "uk": "цілий відсоток", "ru": "целый процент"},
    "lbl_integer_excess": {
        "en": "excess of round-percentage stations",
        "uk": "надлишок дільниць із круглими відсотками",
        "ru": "избыток участков с круглыми процентами",
    },
    "lbl_votes_share": {
        "en": "share of the national excess votes, %",
        "uk": "частка загальнонаціональних надлишкових голосів, %",
        "ru": "доля общенациональных избыточных голосов, %",
    },
    "lbl_all": {"en": "all stations", "uk": "усі дільниці", "ru": "все участки"},
    "ref_name": {"en": "name", "uk": "назвою", "ru": "названию"},
    "ref_largest total": {"en": "largest total", "uk": "найбільшою сумою", "ru": "наибольшей сумме"},
    "ref_given": {"en": "the --leader option", "uk": "параметром --leader", "ru": "параметру --leader"},
}


def text(lang: str) -> dict[str, str]:
    """All sentences in one language (raises KeyError for a language that is not offered)."""
    if lang not in LANGS:
        raise KeyError(f"report language {lang!r} is not available (choose from {', '.join(LANGS)})")
    return {key: versions[lang] for key, versions in _TEXT.items()}
