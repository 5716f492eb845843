package extract

// Country tables of the other languages, added to the CLDR names
// (golang.org/x/text/language/display) that loadLangTables generates.
// One line per country and kind: canonical English name ; kind ;
// patterns separated by "|". A pattern word ending in "*" is a stem that
// an ending of up to maxSuffix letters may follow (the cases of Russian
// and Ukrainian, the genitive -s of German, the nisba endings of
// Arabic); other words match exactly, case-insensitively. A pattern that
// starts with a capital letter needs a capitalised word in the text.

var countriesLang = map[string]string{
	"ru": `
Russia; name; Росси*|РФ|Российская Федерация
Russia; demonym; российск*|русск*|россиян*
Russia; place; Москв*|Петербург*|Санкт-Петербург*|Курск*|Белгород*|Сибир*
Russia; inst; Кремл*|Госдум*|Совфед*
Ukraine; name; Украин*
Ukraine; demonym; украинск*|украинц*
Ukraine; place; Киев*|Харьков*|Одесс*|Днепр*|Львов*|Херсон*|Запорожь*|Донбасс*
Ukraine; inst; Верховн* Рад*|ВСУ
United States; name; США|Соединённые Штаты|Соединенны* Штат*|Америк*
United States; demonym; американск*|американц*
United States; place; Вашингтон*|Нью-Йорк*|Флорид*
United States; inst; Белый дом|Белого дома|Белом доме|Белому дому|Пентагон*|Госдеп*
Saudi Arabia; name; Саудовск* Арави*|КСА
Saudi Arabia; demonym; саудовск*|саудит*
Saudi Arabia; place; Эр-Рияд*|Рияд*|Джидд*
Germany; demonym; немецк*|германск*|немц*
Germany; place; Берлин*|Мюнхен*
Germany; inst; Бундестаг*
France; demonym; французск*|француз*
France; place; Париж*
France; inst; Елисейск* двор*
United Kingdom; name; Великобритани*|Британи*
United Kingdom; demonym; британск*|британц*
United Kingdom; place; Лондон*
China; demonym; китайск*
China; place; Пекин*
Turkey; demonym; турецк*
Turkey; place; Анкар*|Стамбул*
Qatar; demonym; катарск*
Qatar; place; Доха|Дохе|Дохи|Доху
United Arab Emirates; name; ОАЭ|Эмират*
United Arab Emirates; place; Абу-Даби|Дубае|Дубай
Israel; demonym; израильск*
Iran; demonym; иранск*
Iran; place; Тегеран*
Belarus; name; Белорусси*|Беларус*
Belarus; demonym; белорусск*
Belarus; place; Минск*
Poland; demonym; польск*
Poland; place; Варшав*
Switzerland; demonym; швейцарск*
Switzerland; place; Женев*
Kazakhstan; demonym; казахстанск*
India; demonym; индийск*
Egypt; demonym; египетск*
Japan; demonym; японск*
North Korea; name; Северн* Коре*|КНДР
South Korea; name; Южн* Коре*
Hungary; demonym; венгерск*
Hungary; place; Будапешт*
`,
	"uk": `
Russia; name; Росі*|РФ|Російська Федерація
Russia; demonym; російськ*|росіян*
Russia; place; Москв*|Петербург*|Курськ*|Бєлгород*
Russia; inst; Кремл*|Держдум*
Ukraine; name; Україн*
Ukraine; demonym; українськ*|українц*
Ukraine; place; Київ*|Києв*|Харків*|Харкова|Одес*|Дніпр*|Львов*|Херсон*|Запоріжж*|Донбас*
Ukraine; inst; Верховн* Рад*|ЗСУ|Банков*|Мінзакордон*|МЗС
United States; name; США|Сполучен* Штат*|Америк*
United States; demonym; американськ*|американц*
United States; place; Вашингтон*|Нью-Йорк*|Флорид*
United States; inst; Білий дім|Білого дому|Білому домі|Пентагон*|Держдеп*
Saudi Arabia; name; Саудівськ* Арави*|Саудівськ* Аравії
Saudi Arabia; demonym; саудівськ*
Saudi Arabia; place; Ер-Ріяд*|Ріяд*|Джидд*
Germany; demonym; німецьк*|німц*
Germany; place; Берлін*|Мюнхен*
Germany; inst; Бундестаг*
France; demonym; французьк*|француз*
France; place; Париж*
France; inst; Єлисейськ* палац*
United Kingdom; name; Великобритані*|Британі*
United Kingdom; demonym; британськ*|британц*
United Kingdom; place; Лондон*
China; demonym; китайськ*
China; place; Пекін*
Turkey; name; Туреччин*|Туреччині
Turkey; demonym; турецьк*
Turkey; place; Анкар*|Стамбул*
Qatar; demonym; катарськ*
Qatar; place; Доха|Досі|Дохи|Доху
United Arab Emirates; name; ОАЕ|Емірат*
United Arab Emirates; place; Абу-Дабі|Дубаї|Дубай
Belarus; name; Білорус*
Belarus; demonym; білоруськ*
Belarus; place; Мінськ*
Poland; demonym; польськ*
Poland; place; Варшав*
Switzerland; demonym; швейцарськ*
Switzerland; place; Женев*
Hungary; demonym; угорськ*
Hungary; place; Будапешт*
Iran; demonym; іранськ*
Israel; demonym; ізраїльськ*
Japan; demonym; японськ*
`,
	"de": `
Russia; name; Russland*|Russische Föderation
Russia; demonym; russisch*|Russe|Russen|Russin
Russia; place; Moskau*|Sankt Petersburg|St. Petersburg|Kursk|Belgorod|Sibirien
Russia; inst; Kreml*|Kremlsprecher*|Staatsduma|Duma
Ukraine; name; Ukraine
Ukraine; demonym; ukrainisch*|Ukrainer*
Ukraine; place; Kiew*|Kyjiw*|Charkiw*|Odessa|Dnipro|Lwiw|Cherson|Saporischschja|Donbass
Ukraine; inst; Werchowna Rada
United States; name; USA|Vereinigt* Staaten|Amerika*
United States; demonym; amerikanisch*|US-amerikanisch*|Amerikaner*
United States; place; Washington|New York|Florida
United States; inst; Weiße* Haus*|Weißen Haus|Pentagon*
Saudi Arabia; demonym; saudisch*|Saudi
Saudi Arabia; place; Riad*|Dschidda
Germany; name; Deutschland*|Bundesrepublik
Germany; demonym; deutsch*|Deutsche
Germany; place; Berlin*|München*|Hamburg*|Frankfurt*
Germany; inst; Bundestag*|Bundesregierung|Kanzleramt*|Bundeswehr
France; demonym; französisch*|Franzose*
France; place; Paris
France; inst; Élysée*|Elysee*|Élysée-Palast*
United Kingdom; name; Großbritannien*|Vereinigt* Königreich*
United Kingdom; demonym; britisch*|Brite*
United Kingdom; place; London*
China; demonym; chinesisch*
China; place; Peking*
Turkey; demonym; türkisch*
Turkey; place; Ankara|Istanbul
Qatar; demonym; katarisch*
Qatar; place; Doha
United Arab Emirates; name; VAE|Emirate
United Arab Emirates; demonym; emiratisch*
United Arab Emirates; place; Abu Dhabi|Dubai
Israel; demonym; israelisch*
Iran; demonym; iranisch*
Belarus; name; Weißrussland*
Belarus; demonym; belarussisch*
Belarus; place; Minsk
Poland; demonym; polnisch*
Poland; place; Warschau*
Switzerland; demonym; schweizerisch*|Schweizer
Switzerland; place; Genf*|Bern
Austria; demonym; österreichisch*
Austria; place; Wien*
Hungary; demonym; ungarisch*
Hungary; place; Budapest
Italy; demonym; italienisch*
Italy; place; Rom
Spain; demonym; spanisch*
Spain; place; Madrid
Netherlands; place; Amsterdam|Den Haag
`,
	"fr": `
Russia; name; Russie|Fédération de Russie
Russia; demonym; russe|russes|Russe|Russes
Russia; place; Moscou|Saint-Pétersbourg|Koursk|Belgorod|Sibérie
Russia; inst; Kremlin|Douma
Ukraine; name; Ukraine|L'Ukraine|d'Ukraine|l'Ukraine
Ukraine; demonym; ukrainien|ukrainienne|ukrainiens|ukrainiennes|Ukrainiens
Ukraine; place; Kiev|Kyiv|Kharkiv|Odessa|Dnipro|Lviv|Kherson|Zaporijia|Donbass
Ukraine; inst; Rada
United States; name; États-Unis|Etats-Unis|Amérique
United States; demonym; américain|américaine|américains|américaines|Américains
United States; place; Washington|New York|Floride
United States; inst; Maison Blanche|Maison-Blanche|Pentagone
Saudi Arabia; name; Arabie saoudite|l'Arabie saoudite|d'Arabie saoudite
Saudi Arabia; demonym; saoudien|saoudienne|saoudiens|saoudiennes|Saoudiens
Saudi Arabia; place; Riyad|Djeddah
Germany; demonym; allemand|allemande|allemands|allemandes|Allemands
Germany; place; Berlin|Munich
Germany; inst; Bundestag
France; demonym; français|française|françaises|Français
France; place; Paris|Marseille|Lyon
France; inst; Élysée|Elysée|Matignon|Quai d'Orsay
United Kingdom; name; Royaume-Uni|Grande-Bretagne
United Kingdom; demonym; britannique|britanniques|Britanniques
United Kingdom; place; Londres
China; demonym; chinois|chinoise|chinoises
China; place; Pékin
Turkey; demonym; turc|turque|turcs|turques
Turkey; place; Ankara|Istanbul
Qatar; demonym; qatari|qatarie|qataris
Qatar; place; Doha
United Arab Emirates; name; EAU
United Arab Emirates; demonym; émirati|émiratie|émiratis
United Arab Emirates; place; Abou Dhabi|Abu Dhabi|Dubaï
Israel; demonym; israélien|israélienne|israéliens
Iran; demonym; iranien|iranienne|iraniens
Belarus; name; Biélorussie
Belarus; demonym; bélarusse|biélorusse
Belarus; place; Minsk
Poland; demonym; polonais|polonaise
Poland; place; Varsovie
Switzerland; demonym; suisse|suisses
Switzerland; place; Genève|Berne
Spain; demonym; espagnol|espagnole|espagnols
Spain; place; Madrid
Italy; demonym; italien|italienne|italiens
Italy; place; Rome
Morocco; demonym; marocain|marocaine|marocains
Morocco; place; Rabat|Casablanca
Algeria; demonym; algérien|algérienne|algériens
Algeria; place; Alger
`,
	"es": `
Russia; name; Rusia|Federación de Rusia
Russia; demonym; ruso|rusa|rusos|rusas
Russia; place; Moscú|San Petersburgo|Kursk|Bélgorod|Siberia
Russia; inst; Kremlin|Duma
Ukraine; name; Ucrania
Ukraine; demonym; ucraniano|ucraniana|ucranianos|ucranianas
Ukraine; place; Kiev|Kyiv|Járkov|Jarkov|Odesa|Dnipró|Leópolis|Jersón|Zaporiyia|Donbás
Ukraine; inst; Rada Suprema
United States; name; Estados Unidos|EE.UU.|EEUU|EE. UU.
United States; demonym; estadounidense|estadounidenses|norteamericano|norteamericana|norteamericanos
United States; place; Washington|Nueva York|Florida
United States; inst; Casa Blanca|Pentágono
Saudi Arabia; name; Arabia Saudí|Arabia Saudita
Saudi Arabia; demonym; saudí|saudíes|saudita|sauditas
Saudi Arabia; place; Riad|Yeda
Germany; demonym; alemán|alemana|alemanes|alemanas
Germany; place; Berlín|Múnich
Germany; inst; Bundestag
France; demonym; francés|francesa|franceses|francesas
France; place; París
France; inst; Elíseo
United Kingdom; name; Reino Unido|Gran Bretaña
United Kingdom; demonym; británico|británica|británicos|británicas
United Kingdom; place; Londres
China; demonym; chino|china|chinos|chinas
China; place; Pekín
Turkey; demonym; turco|turca|turcos|turcas
Turkey; place; Ankara|Estambul
Qatar; demonym; catarí|qatarí
Qatar; place; Doha
United Arab Emirates; name; EAU
United Arab Emirates; place; Abu Dabi|Abu Dhabi|Dubái
Israel; demonym; israelí|israelíes
Iran; demonym; iraní|iraníes
Belarus; name; Bielorrusia
Belarus; demonym; bielorruso|bielorrusa
Belarus; place; Minsk
Poland; demonym; polaco|polaca|polacos
Poland; place; Varsovia
Switzerland; demonym; suizo|suiza|suizos
Switzerland; place; Ginebra|Berna
Spain; name; España
Spain; demonym; español|española|españoles|españolas
Spain; place; Madrid|Barcelona|Sevilla|Valencia
Spain; inst; Moncloa|La Moncloa
Mexico; name; México
Mexico; demonym; mexicano|mexicana|mexicanos|mexicanas
Mexico; place; Ciudad de México|Monterrey|Guadalajara
Argentina; demonym; argentino|argentina|argentinos|argentinas
Argentina; place; Buenos Aires
Argentina; inst; Casa Rosada
Colombia; demonym; colombiano|colombiana|colombianos
Colombia; place; Bogotá|Medellín
Venezuela; demonym; venezolano|venezolana|venezolanos
Venezuela; place; Caracas
Brazil; demonym; brasileño|brasileña|brasileños
Brazil; place; Brasilia|São Paulo|Río de Janeiro
Chile; demonym; chileno|chilena|chilenos
Chile; place; Santiago de Chile
Peru; demonym; peruano|peruana|peruanos
Peru; place; Lima
Cuba; demonym; cubano|cubana|cubanos
Cuba; place; La Habana
Morocco; demonym; marroquí|marroquíes
Morocco; place; Rabat
`,
	"ar": `
Russia; name; روسيا|الاتحاد الروسي
Russia; demonym; روسي*|الروسي*
Russia; place; موسكو|بطرسبورغ|سان بطرسبورغ|كورسك
Russia; inst; الكرملين|كرملين|الدوما
Ukraine; name; اوكرانيا
Ukraine; demonym; اوكراني*|الاوكراني*
Ukraine; place; كييف|كيف|خاركيف|اوديسا|دونباس
United States; name; الولايات المتحدة|امريكا|واشنطن
United States; demonym; امريكي*|الامريكي*
United States; place; نيويورك|فلوريدا
United States; inst; البيت الابيض|البنتاغون
Saudi Arabia; name; السعودية|المملكة العربية السعودية
Saudi Arabia; demonym; السعودي*|سعودي*
Saudi Arabia; place; الرياض|جدة|مكة
Germany; demonym; الماني*|الالماني*
Germany; place; برلين|ميونيخ
France; demonym; فرنسي*|الفرنسي*
France; place; باريس
France; inst; الاليزيه
United Kingdom; name; بريطانيا|المملكة المتحدة
United Kingdom; demonym; بريطاني*|البريطاني*
United Kingdom; place; لندن
China; demonym; صيني*|الصيني*
China; place; بكين
Turkey; name; تركيا
Turkey; demonym; تركي|التركي|التركية|تركية|الاتراك
Turkey; place; انقرة|اسطنبول
Qatar; name; قطر
Qatar; demonym; قطري*|القطري*
Qatar; place; الدوحة
United Arab Emirates; name; الامارات|الامارات العربية المتحدة
United Arab Emirates; demonym; اماراتي*|الاماراتي*
United Arab Emirates; place; ابوظبي|ابو ظبي|دبي
Israel; demonym; اسرائيلي*|الاسرائيلي*
Iran; demonym; ايراني*|الايراني*
Iran; place; طهران
Egypt; name; مصر
Egypt; demonym; مصري*|المصري*
Egypt; place; القاهرة
Jordan; name; الاردن
Jordan; demonym; اردني*|الاردني*
Iraq; name; العراق
Iraq; demonym; عراقي*|العراقي*
Iraq; place; بغداد
Syria; name; سوريا|سورية
Syria; demonym; سوري*|السوري*
Syria; place; دمشق
Lebanon; name; لبنان
Lebanon; demonym; لبناني*|اللبناني*
Lebanon; place; بيروت
Switzerland; place; جنيف
Belarus; place; مينسك
Oman; place; مسقط
Kuwait; demonym; كويتي*|الكويتي*
`,
}
