"""Word lists used by :mod:`skills_db.vocabulary.taxonomy` to avoid false positives.

All entries are *folded* (see :func:`skills_db.vocabulary.textnorm.fold`). The lists are about
words, not skills, so they also apply to vocabulary entries added by admins.

``CANONICAL_ONLY``
    Function words (EN+FR), single letters (except ``r``) and a few product names that
    are also common first names. A vocabulary key in this set is known to
    :meth:`Taxonomy.canonical` (so a declared skill "Go" or "C" resolves) but is never
    recognised on its own in free text ("let's go", "ask Julia"); multi-word aliases
    such as "golang" or "julia language" are used instead.
``AMBIGUOUS``
    Frequent EN/FR words that are also the name of a product with another meaning
    (Spring, Express, Rust, Excel, React, Notion, "vite"...). A key in this set is only
    recognised when written exactly as declared (case-sensitive: "Spring", "SAP"), and a
    Title-case spelling is rejected at the start of a sentence or right after a
    capitalised word that does not start the sentence and is not itself a skill.
``SAFE_SHORT``
    One- and two-letter keys are treated as ambiguous unless listed here.
``NO_FUZZ``
    Words that never take part in typo or plural matching, on either side:

    1. vocabulary keys that are ordinary words (wordfreq Zipf >= 3 in English or
       French: "cooking", "marketing", "teams"), so they are never typo targets;
    2. English/French words (Zipf >= 1.5) that a typo match would otherwise
       turn into a technical skill ("network" ~ NetworkX, "information" ~ Informatica,
       "parsed" ~ parsing, "customisation" ~ Kustomize);
    3. a hand-picked set of words whose plural/singular match is misleading ("survey",
       "fraction", "retro", "novel", "polar").

    Items 1-2 were generated from wordfreq's frequency lists against the default
    vocabulary: for each frequent word that is not a key, check whether the recogniser
    would plural- or typo-match it. Re-run that check after large vocabulary changes.
"""

from __future__ import annotations

__all__ = ["AMBIGUOUS", "CANONICAL_ONLY", "FUNCTION_WORDS", "NO_FUZZ", "SAFE_SHORT"]


def _words(blob: str) -> frozenset[str]:
    return frozenset(blob.split())


_FUNCTION_WORDS_EN = """
a an the and or but if then else of to in on at by for with about against between into
through during before after above below from up down out off over under again further
once here there when where why how all any both each few more most other some such no
nor not only own same so than too very can will just should now i me my myself we our
ours you your yours he him his she her hers it its they them their theirs what which who
whom whose this that these those am is are was were be been being have has had having do
does did doing would could might must shall may go goes going went gone get gets got make
makes made use uses used run runs ran set let lets see know need want like help also yes
ok okay hi hello hey thanks thank please anyone someone something anything everything
nothing one two three new old good bad best well way thing things work time day etc via
per vs
"""

_FUNCTION_WORDS_FR = """
le la les l un une des du de d et ou mais donc or ni car que qu qui quoi dont ce cet
cette ces c ca je j tu il elle on nous vous ils elles me m te t se s moi toi lui leur
leurs mon ma mes ton ta tes son sa ses notre nos votre vos en y a au aux dans par pour
sur sous avec sans chez vers entre est sont etre ete etait ai as avons avez ont avoir
fait faire ne n pas plus moins tres bien tout tous toute toutes si comme quand aussi
alors bon oui non merci salut bonjour voila cela ceci
"""

_NAME_LIKE = """
julia pascal ada isabelle stan conan idris
"""

# The one list of English and French function words; the text index's stopwords extend it.
FUNCTION_WORDS: frozenset[str] = _words(_FUNCTION_WORDS_EN) | _words(_FUNCTION_WORDS_FR)

CANONICAL_ONLY: frozenset[str] = (
    FUNCTION_WORDS | _words(_NAME_LIKE) | frozenset("abcdefghijklmnopqstuvwxyz0123456789")
)

AMBIGUOUS: frozenset[str] = _words(
    """
access airflow angular apex asana astro audacity babel beanstalk bert bevy biome blade
blender bootstrap borg bottle bun burp caddy capacitor caret cassandra celery chef chroma
chocolatey coq crochet crystal cucumber cypress dapper dart dax defi delphi discord
druid electron elixir elk elm excel expo express feast fedora flask flutter forth gan
gatsby gin grails groovy hana hanami hardhat helm hibernate hive hotwire houdini iam
illustrator ionic jest kali kms lean leaflet less lighthouse lisp lit liquid livewire
locust mao mercurial meson meteor midi mojo mongoose mural nats newman nix node nomad
notion obs obsidian octave oracle outlook packer pact parcel perforce pillow pinecone
polish postfix postman prefect presto prettier procreate prometheus puppet puppeteer
pyramid quasar racket rag raid rails rancher razor react redshift redux remix retrofit
rider ruff rust safe samba sas scheme scratch sea sentry sig sinatra sketch slack
snowflake soap solid spa spark sphinx spinnaker spring storybook stripe struts stylus
sublime subversion superset swagger swift tableau tailwind tal teams tex textual torch
tornado tor travis twig twisted unity unreal vagrant varnish vite vue waterfall windows
word workday yarn zookeeper zoom confluence consul
"""
)

SAFE_SHORT: frozenset[str] = _words("js ts ux ui qa")


# Generated (see the module docstring), kept sorted.
NO_FUZZ: frozenset[str] = _words(
    """
abeilles academia acces access accesses accessibilite accessibility accountancy
accountant accounting achats acheteur aching acoustic acoustics acoustique acquisition
acquisitions acrobate acrobats actium advertisements advertising advocacy aerodynamique
aeronautics aeronautique aftereffects agile agilite agriculture aidant airconditioning
airflow albanais albanian algebra algebre algorithm algorithme algorithmes algorithms
allaitement allama allemand allergies allium allotment alpines alsacien altaic amarin
amputation amputations anacondas analytics ancona ancora android androide anglais
angling angulaires angular animation animations anthologies anthon anthropologie
anthropology antitrust antium antler aperception aperture apexes apogee appius
applicabilite approvisionnement aquarelle aquarium arabe arabic arbitration arbore
archaeologist archaeology archeologie archimage archis arcole argot argumentation
arithmetic arithmetique armee armenian armenien aromatique artium asics assemblees
assemblent assembler assemblera assemblers asservissent assouvissement assurance
assurances astreinte astro astrologie astrology astronomie astronomy astros attorney
audacity audit auditing auditor authentication authentification authon authorization
autoedition autoentrepreneur automat automate automatica automating automation
automations automator autonation aviation avocat axioms azure babel backbones backed
backpacking backups baguettes bailleur bakehouse baking ballina bandler banking banque
barbecue barbier barista barman bartender baseboards bashes basketball basque beaver
beers benevolat benevoles bengali bentos berbere beton bicarbonate biceps bicycle
bicycles biere bieres bigdata bijouterie bikes biking bilingual bilingue bilinguisme
billing biochemistry biodiversite biodiversity biologie biologist biologiste biology
biomes biscuits bistable bitcoin blackbelt blade blades blazer blazon blender blockchain
blockhouse blogging bluetooth boating bodman bodybuilding boilers boland booker boosting
bootstraps bosnian botanique botany botnet bottle bottles bottling boucherie bougies
bouillon boulangerie boulonnage boutonnage boxes boxing braille branding brassage
brawlers bread breastfeeding breton brevet brevets brickhouse bricolage brioche broderie
broth budgeting budgets bulgare bulgarian bulman bunder bundle bundled bundles bungler
bureaucracy burmese burnout burps butcher buzzers buzzing cableur cacao cachin cactus
caddies cafes cakes calculus calligraphie calligraphy calories cambodian campfire
camping canibus canning canope canopee canopes canova cantonese cantos cantus capabilite
capability capacitor capacitors caramel caravel carpenter carrelage cartographie cashing
cassandra catalan catalog catching catering causalite causalites celery center centros
ceramics ceramique chabot champignons chant chanteur charcuterie charpente charpentier
chartes charts chaser chaudiere chauffage cheese cheesecake cheeses chefs chemist
chemistry chess chiffrable chiffrement childcare chimie chimiste chinese chinois
chocolat chocolate choir chorale choucroute chromees chromes chromos cider cidre
cinematography cintre cisco citric clanga clarinet clarinette classified classifieds
classifiee classifiees classifies climatisation climbing cliton closure cloture
clustering coach coaching cocker cockroaches cocktails cocoa coding codman coffee
coffeeshop cogito cognac cogniot coiffeur coiffure colaba collab collaboration
collaborator collaborators comic comicbooks comics communicating communication
comparability comparateur comparateurs compatability compatibility compensation
compilees compiles compliance comploteur comploteurs compost comptabilite comptable
computation conan concurence concurrence concurrencee concurrencer concurrences
concurrent concurrente concurrently concurrents condat condra confiture confluence
confluences conformite congelation conjugaison consolidation consomme consul consuls
consultant consulting contained containers contaminer conteneur conteneurs contentieux
contesting contos contracts contrats convent convents cooker cookery cooking copilote
copyright cordata cordoba cordovan coreen correcteur correlation corse cosmetic
cosmetics cosmetiques counseling counselling counterpoint counties couscous couture
cradle crans creativite creativity creole croate croatian crochet crochets croissant
croissants croquis crossfit crowdfunding crunchbase cryptocurrency cryptographe
cryptographer cryptographes cryptographic cryptographique cryptologic crystal crystals
cuarto cucumber cucumbers cuisine cuisiner cupcakes curry curvature custard
customisation customization customizations customize customized customizer customizes
cybersecurite cybersecurity cycling cyclisme cyclist cycliste cypres cypress cypresses
czech dactyl dactyle dactylographe dactylographiee dactylographiees dactylographier
dalkey dalle danish danois darts database databases datamining daube deadlocked deaver
debat debate debating debien debogueur debugged dechiffrage decisional decisionmaking
decisionnelle decker delegation deleguer delian deliverability delphi demenagement
demenager demian demonization deniability deontologie deontology dependable dependably
deputation derian derivation descript desirability dessert desserts dessin dessus
deutsch devons devots dialectes dialects dicker dictee diplomacy diplomatie direct
directe directes directeurs directo directv disassemble disassembled discord discords
disputation diversite diversity django docked dockery docket docter documented
documentee documenter documentes documentos donnet dotent douane dovecote dragster
drawin drawing dreadlocks drones druids drumkit drummer drumming drums ducker dutch
dyslexia ecarts echantillonnage eclairs ecolab ecologie ecology ecommerce econometrica
econometrique economic economics economie economist edenbridge egyptologie egyptology
eldercare electrician electricien electrodes electromenager electron electronic
electronics electronique electrons elevent eleventh elixir elixirs eloquence emailing
embedding embers embroidery empathie empathy encore encryption english enseignant
enseignement entreposage entrepreneur entrepreneuriat entrepreneurship epices
epidemiologic epidemiologique epidemiologist epidemiologiste epidemiology equations
equestrian equitation equities ergonomie erland erling escada escalade eshop espagnol
esport esports espresso estate estats estonian estudio ethereum ethics ethique
ethnologie etymologie eventbrite excel excels exploitabilite expos expres express
expresses expressifs extract factly factorisation facturation factures falcao falcom
falcon farine farming fashion faufile feast feasts fedora fermentation ferroviaire
filmmaker filmmakers filmmaking finance finances finnish fireballs firefighter firestone
firestorm firestorms firewall firmware fiscalite fisherman fishing fitness fizzing
flamand flask flasks flemish flour fluent flute flutter flutters flyaway flyfishing
focker fondant fonts foodtruck football foraging forecasting forensics forex forth
fraction fractions fragrance framers francais freelance freight french fromage fromages
fronted fundraising futzing gaggle gaines galand galang galina galing gallia gallica
gallois gameloft gamer gaming garagiste garden gardener gardening gastly gastronomie
gastronomique gateau gateaux gating gatlin gatsby gatting gazon gcses genais genait
genealogie genealogy genetic genetics genetique genkai genton geographie geography
geologie geology geometrie geometrique geometry geopolitique georgian gerait german
germanique gerrie gerrity giteau gitega github gladio gmail godman goeland golaud golfer
gonads googlemaps gotland gouvernance governance gowland goyang grable gradee gradel
gradin grading gradis gradue grail grammaire grammar graphisme graphiste gravure gravy
greek greenbelt greenglass grilling grimpe groland groovy grossesse guitar guitare
guitarist guitariste hableur haggle haircut hairdresser hairstyling handicap handlebar
harding harima haskell hawaiian hebreu hebrew helmets helms hibernates higbee hiking
hillwalking hindi hiring historian historien hives hocker hogback hollandais hollandaise
hongrois hooker horseriding hotellerie houblon housecleaning housing hummus hungarian
hypers hyperviseur hyperx icecream icelandic icings icloud iconographie idris idrive
illustration illustrations illustrator illustrators immigration immobilier imparfait
importation impots improv improvisation imputables indonesian indonesien infirmier
infirmiere influencers influencing infographie informatics informatif informatifs
informatio information informatique informatise informative informatrice informs
innovation insulation insurance integral integrale integrales intelli interprete
interpretees interpreter interpretera interpreters interpreting interrompt intone intube
inventaire investing investissement investment invoices ionic irish irlandais ironman
isabelle islandais italian italien jackknifed jacobo jacomo jacopo jagger jantes
japanese japonais jardinage jardinier jauger jaunit javale javascript javaux jenkins
jests jeuxvideo jiujitsu joaillerie journalism journalisme journalist journaliste julia
juncos juntos jupiter juridique juriste kabyle kafka karate karima katalin kaylin
keystones khader khmer kinesin kirana kitana knitting knowledgebase korean kotkin kungfu
kurde kurdish kustom kylian labelling laboratory lagaan lager lamestream laminae laminar
lamines landlord lasers lastly latex latin latinas latium latraverse latte latvian
laundry lawns lawsuits lawyer leadership leaflet leaflets leans leases leftovers legal
legers legumes lepers lessive lettering levers levure libros lifesciences lifestream
lighthouse lighthouses linguiste linguistics linguistique linked linker linkers linux
lipkin liquid liquids lisps literature lithuanian litigation litiges litterature
livestream livestreaming lobbying localization locataire locust locusts logement
logistic logistics logistique logos looked lookup loomer looper looser looter lubuntu
lucane lucena lucens lucent lucerne lucine luxembourgeois luxton macarons macbook
macedonian maconnerie macos magenta magician magicien magie magneto makeup malaises
malay malgache maltais maltese malton malware mambas mandarin manola mantova
manufacturing maori mapmaking maquettes maquillage marathon margate mariage marillion
maritime marketing marketplace markit marven masonry mathematical mathematician
mathematicien mathematics mathematique mathematiques maths matrices mayonnaise mbongo
medecin medecine mediat mediate mediateur mediation mediator mediats medicine meditation
mediter medocs megatonnes melton memorisation memorization menage menages mentor
mentoring mentos menuiserie menuisier merchandising mermaids merrit mesons metadonnee
metadonnees metallurgie metaphysics meteor meteores meteorologie meteorology meteors
metzner microbiology microondes microwave militaire military milius milton mindfulness
minutest mochas mocker mocks modine mojos moland molars molton momentos moments monade
monades mongol mongolian mongooses monitoring monogamie monogamy monogramme montecarlo
morbus mortgage mortgages mosquito motorcycles muamba multicolour multilingual mural
murals musculation mwamba nageur napier narration natation naturalisation neerlandais
negation negociation negociations negocier negotiating negotiation negotiations
negotiator nepali nessun network networks neuroscience neurosciences newsletter nixes
nodes noland nomad nomads nonprofits norvegien norwegian notables notary notetaking
notion notions notoriete novel novels nugent nugget numpty nurse nursing nutrition
occitan octave octaves oculus odontology oeufs omelette oncologues oncology ontologiques
oops opendata opened openers openin opensource optics optique oracle oracles orchards
orthographe otology outlook outlooks outpost outreach overfilling overfishing packer
packers pacser pacts pagemaker painting panda pandas panos panova panser paperasse
paperwork papier paralleles paralleling parcel parcells parcels parenting parfumerie
parier paring pariser parker parkers parking parler parlers parmer parrainage parsec
parsecs parsed parsee parsees parses partenariats parter parting partnerships pascal
passer passers passing pastries pastry patchwork patents pates patisserie patisseries
patissier pauser pausing paypal payroll pedagogie pedagogy pedantic peinture pensions
pentes pentos percentage percentages perception perceptions percussion percussions
persan persian personalfinance personnage persuasion petcare petitioning pharma
pharmacie pharmacien pharmacist pharmacology pharmacy phased phases phasor philosophe
philosopher philosophie philosophy phonetique photographe photographer photographie
photography photoshop photovoltaique physician physicien physicist physics pianist
pianiste piano pickles pilate pilates piledriver pillow pillows pilotables pinecones
pipkin pips pixies pizza pizzas plaidoyer planescape playwright playwrights plomberie
plombier plumber plumbing podcast podcasts poesie poetry poissons poland polar polard
polaris policing polish polishes politics polman polonais polymers ponctuation poplars
portrait portraits portugais portuguese postais postman postproduction posture postures
potager poterie pottery pourcentage pourcentages powerpoint preach precognition prefect
prefects pregnancy presentations prettier prevision previsions pricing priment priming
prisca prisme prisms privacy probabilites probabilities probability procurement
productivite productivity professeur professionalism professionnalisme programmation
programming prolon prolong prolos prometheus prompting prononciation pronunciation
prospection protesting prototypes provencal psychologie psychologist psychologue
psychology psychometrique psychometry psychomotrice psychomotrices psychotherapie
psychotherapy publicist publicite publishing pugs punjabi puppet puppeteers puppets
purchasing purser pursing putnam puzzles pyrame pyramid pyramids python qualls qualms
quanto quarks quarta quarte quartes quarti quartz quasars quatro quebecois quickstart
racket rackets raids rails railways raintree rakugo rancher ranchers randomisation
randomization randonnee randonnees rangement rapier rassembler rassembleur rassembleurs
rayonnages razor razors react reactive reactivee reactivees reactively reactivent
reactiver reactives reactor reacts realestate realtor realty reassembly recettes
recherche recherchee recherchees recherchent rechercher recherchera recherches
recherchez recherchiez recipes recognition recognitions recouvrement recruiter
recruiting recruitment recrutement recruteur redactor redcat redhot redis redish
redshifts reecriture refactored referencement refractor refractors refractory refunds
rehash reinstaller relativite relativity relecture reliure relocation remboursement
remix remixes remodeling remuneration rendering renovation renting replicas replication
reporting reputation rescrit resilience respec restif retail retraite retro retrofits
retrospective revit rhetoric rhetorique rider riders ritualisation roadmap roblot
robotics robotique robots rocker rodman rojava roland romanian roofing roofs rooker
roses rostan roumain routers rubies ruches ruffs russe russian rustan rustling rusts
safes sailing sailor salad salade salades salads sales salima salines samba sampling
sanskrit saps sarika sarina sarita satrapi sauce sauces saucisson sauvegarde sauvegardee
sauvegardees sauvegardent sauvegarder sauvegardez saxophone scala scella scheme schemes
scilla scrape scraping scrappy scraps scratch scratches scratchs screenprinting scrum
sculpture seaborg seaborne seabourn seasoning seaver selling semler semper sentinelle
sentries sentry serbe serbian server sewing shaded shades shadier shading shafer shaker
shakers shaler shaper shapers sharer sharers sharing sharking shaver shavers sheets
shellfish shrader signal signala signale signaler signals sinatra singer singing sketch
sketches sketching sketchs skiing skincare slack slacks slovak slovaque slovene snatch
snowboard snowboarding snowflake snowflakes snowpack soaps soccer sociologie sociologist
sociology solder solid solidarity solides solidify solidite solids solidus somali
sondages songwriting sonnet soudure soupe soupes soups sourcing spacecraft spacey spader
spanish spark sparks sparser spectroscopy sphere sphinx sphinxes spices spines
spiritueux splices splints spreadsheet spring springboks springboro springbrook springs
springwood sprints sprite staffing startups statistics statistique statistiques stats
statua steak steaks stencils stockmarket storybooks storytelling stout straker straps
strata strategie streamlight streamline striker stripe stripes stroker strut stryder
stryper studio stylus subjecting subjonctif sublets subletting sublime sublimes
submitting subsets subventions subversion subverting succulent suedois supervisor
supervisors surfer surfing survey surveys sushi sushis sustainability swagger swaggers
swatch swedish swift swifts swimmer swimming syntheses sypher system systema systeme
systems tableau tableaux tabler tacos tailwinds tainter talens talent tamarin tamil
tarification tartes taurin tauris taxation tcheque teacher teaching teachings
teambuilding teams teamwork teases teinter telescopes teletravail telugu tennis
tensioning tents tercel terraformed terraformer territ testing teston teuton textual
thailandais thello theologie theology thermodynamics thermodynamique theses threes
tibetain tibetan tinter toddlers todman toiture toland tooker topology torch torches
torino tornado tornados tourism tourisme trademarks trading traducteur traduction
traductions traiteur translating translation translations translator travel traveling
travelling travis trawlers treasury trekking tresorerie triangle triangles triano
triathlon tricot trillo trompette trullo trumpet turkish tutor tutoring twigs twisted
typographie typography ubiquite ubiquitin ubiquity ubuntu ukrainian ukrainien underscore
underscored underscores underwriting unicorn unifia unifie unifil uninstaller unities
unity universite unreal urbanisme usability vagrants valley valorisation valuation
varnish varnishes vastly vats vegetables velodrome velos vente venter ventes verceil
verger vertex vertical veteran veterans veterinaire veterinarian vidange videogames
vietnamese vietnamien vilest violin violinist violon violoniste virements visas vision
visionnage visualisations vites vitesse vitesses viticulture vocal vocals voilier voland
volans volatilite volkan volunteering volunteers voyage voyages vulcan waggle walmer
wardrobe warmer washer wasmes wasser waster watercolor waterfall waterfalls watling
webdav webdesigner webstore weddings weightlifting welding welsh whiskey whisky window
windows woodworking wordpress words workdays workout workouts xanthos xdrive yaeger
yaourt yaourts yarns yarrow yeast yiddish yoghurt yogurt yoland yoruba zapper zookeepers
zoologie zoology zooms
"""
)
