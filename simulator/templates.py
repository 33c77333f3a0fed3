"""Hand-written text for what the real pools lack: sports and teaching requests, side conversation
(false wakes), guided questions, and the assistant's responses.

`{team}`-style fields mark slots; the slot type each becomes is in TEMPLATE_SLOT_TYPES.
"""

from __future__ import annotations

# Requests the three corpora do not cover. Intents follow the HWU64 `scenario_action` style.
TEMPLATE_REQUESTS: dict[str, tuple[str, ...]] = {
    "sports_query": (
        "how did {team} do last night",
        "what's the score of {team} game",
        "when do {team} play next",
        "did {team} win",
        "tell me the score of {team} game",
        "who won {team} game",
        "what's the score of the game",
        "did we win last night",
        "when's the next game",
        "how did my team do",
    ),
    "sports_watch": (
        "put on {team} game",
        "play {team} game",
        "turn on {team} game",
        "play the game",
        "put the game on",
        "i want to watch the game",
    ),
    "preference_teach": (
        "i'm a fan of {team}",
        "my favorite team is {team}",
        "i root for {team}",
        "i live in {city}",
        "my home is {city}",
        "remember that i live in {city}",
        "i really like {cuisine} food",
        "my favorite food is {cuisine}",
        "i love {genre} music",
        "my favorite music is {genre}",
    ),
    "preference_learn": (
        "learn my preferences",
        "can you learn what i like",
        "i want to teach you my preferences",
        "set up my preferences",
        "get to know me",
    ),
}

# Answers to the guided questions, by what is asked.
ANSWERS: dict[str, tuple[str, ...]] = {
    "team": ("{team}", "i follow {team}", "{team} of course", "definitely {team}"),
    "city": ("{city}", "i live in {city}", "we're in {city}"),
    "cuisine": ("{cuisine}", "i like {cuisine}", "{cuisine} food mostly"),
    "genre": ("{genre}", "mostly {genre}", "i listen to {genre}"),
}

QUESTIONS: dict[str, str] = {
    "team": "Which sports team do you follow?",
    "city": "Which city do you live in?",
    "cuisine": "What kind of food do you like?",
    "genre": "What music do you like?",
}

TEMPLATE_SLOT_TYPES: dict[str, str] = {
    "team": "sport_team",
    "city": "place_name",
    "cuisine": "food_type",
    "genre": "music_genre",
}

# Speech not meant for the device: what a wake word detector hears in a kitchen.
SIDE_SPEECH: tuple[str, ...] = (
    "did you feed the dog",
    "honey where are my keys",
    "i told him we'd be there by six",
    "no i said the blue one",
    "can you pass me the salt",
    "are you coming to dinner",
    "we need to leave in ten minutes",
    "hold on i'm on the phone",
    "she's going to call back later",
    "don't forget your lunch",
    "turn that down a bit will you",
    "who left the door open",
    "i think it's going to rain",
    "what did you say",
    "alex can you come here",
    "alexis dinner's ready",
    "let's go to the park after lunch",
    "that movie was so long",
    "i'll be right back",
    "put your shoes on",
    "where did i put my phone",
    "mom can i have a cookie",
    "okay see you tomorrow",
    "it was great talking to you",
    "play nice with your sister",
)

# The assistant's answers. `{v}` is the main slot's value as the assistant resolved it, `{n}` a number.
SUCCESS_RESPONSES: dict[str, tuple[str, ...]] = {
    "music": ("Playing {v}.", "Here's {v}.", "Okay, {v}."),
    "weather": ("In {v} it's {n} degrees and cloudy.", "Right now in {v}: {n} degrees and sunny.",
                "Expect a high of {n} in {v} today."),
    "restaurant": ("I booked a table at {v}.", "Your table at {v} is reserved."),
    "books": ("Thanks, I saved your rating for {v}.", "Rating saved for {v}."),
    "creative_work": ("Here's what I found for {v}.", "{v} is available now."),
    "movies": ("{v} is showing at {n} pm nearby.", "Here are showtimes for {v}."),
    "alarm": ("Your alarm is set for {v}.", "Okay, alarm for {v}.", "You have an alarm at {v}."),
    "audio": ("Volume changed.", "Okay, done."),
    "calendar": ("Here's your calendar for {v}.", "Okay, I added {v} to your calendar.",
                 "Done, it's on your calendar."),
    "cooking": ("Here's a recipe for {v}.", "I found a recipe for {v}."),
    "datetime": ("It's {n}:15.", "That's {n} o'clock there."),
    "email": ("You have {n} new emails.", "Okay, I sent the email to {v}.", "Here's the email from {v}."),
    "general": ("Here's one: why did the scarecrow win an award? He was outstanding in his field.",
                "Ha, I like that.", "I'm glad you asked."),
    "iot": ("Okay, {v} is done.", "Done.", "Okay, turning that on."),
    "lists": ("Here's your {v} list.", "I added it to your {v} list.", "Done, I removed it."),
    "news": ("Here's the latest news on {v}.", "Here are today's headlines."),
    "audiobook": ("Resuming {v}.", "Playing the audiobook {v}."),
    "podcasts": ("Playing the latest episode of {v}.", "Here's {v}."),
    "radio": ("Tuning in to {v}.", "Playing {v}."),
    "games": ("Starting {v}.", "Let's play {v}."),
    "qa": ("{v} is about {n} of them.", "Here's what I know about {v}.", "The answer is {n}."),
    "recommendation": ("There's a great place near {v}.", "Here are some events near {v}."),
    "social": ("Posted.", "Here's what {v} shared."),
    "takeaway": ("Your order from {v} is on its way.", "{v} delivers until {n} pm."),
    "transport": ("The next train to {v} leaves at {n}:40.", "Traffic to {v} is light.",
                  "A taxi is on its way."),
    "sports": ("The {v} won {n} to 98.", "The {v} play tomorrow at {n} pm.", "Here's the {v} game."),
    "preference": ("Got it, I'll remember that.", "Okay, I'll keep that in mind."),
    "video": ("Playing the video {v}.", "Here's a video of {v}."),
}

# The right reading, the wrong answer.
RESULT_FAILURES: tuple[tuple[str, str], ...] = (
    ("SUCCESS", "Here's what I found on the web."),
    ("SUCCESS", "I'm not sure how to help with that."),
    ("SUCCESS", "Here's something you might like."),
    ("ERROR", "Sorry, something went wrong. Please try again later."),
    ("ERROR", "Sorry, I'm having trouble right now."),
)

# A request nobody could fulfil, answered correctly.
UNFULFILLABLE: tuple[str, ...] = (
    "Sorry, I couldn't find {v}.",
    "Sorry, {v} isn't available right now.",
    "There's nothing on for {v} right now.",
)

NO_MATCH: tuple[str, ...] = (
    "Sorry, I didn't catch that.",
    "Sorry, I'm not sure what you mean.",
    "I didn't understand that.",
)
NOT_FOUND: tuple[str, ...] = ("Sorry, I couldn't find {v}.", "I don't know {v}.")
FALSE_WAKE_ANSWERS: tuple[tuple[str, str, str], ...] = (
    ("qa", "qa_factoid", "Here's what I found on the web."),
    ("general", "general_quirky", "Hmm, I don't know that one."),
    ("music", "play_music", "Playing music."),
)
TEACH_CONFIRM = ("Got it, I'll remember {v}.", "Okay, I'll remember {v}.")
LEARN_DONE = "Thanks, I'll use these from now on."
LEARN_START = "Sure, a few quick questions."
ACKS = ("You're welcome.", "Happy to help.", "Anytime.")
SORRY = ("Sorry about that.", "Sorry, let's try again.")
