SELECT set_config('gisapp.actor', :a, true),
                                set_config('gisapp.user_id', :u, true),
                                set_config('gisapp.colour_reason', :r, true),
                                set_config('gisapp.colour_suggested', :s, true)
